package charset_test

// maps_test.go makes the recoding tables shipped in conf/ (koi-win,
// koi-utf, win-utf: the names nginx ships, for `include koi-utf;`) from
// the Unicode mappings of golang.org/x/text/encoding/charmap, and checks
// the committed files are what it makes (-update rewrites them) and that
// a configuration including them recodes as the tables say.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"goproxy/internal/golden"
	"goproxy/internal/nginxtest"
)

// shippedMap is one charset_map file: every byte from 0x80 up of the
// source charset that the destination has.
func shippedMap(name, from, to string, src *charmap.Charmap, dst *charmap.Charmap) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: charset_map %s %s, made from the Unicode mappings of both charsets\n", name, from, to)
	fmt.Fprintf(&b, "# (golang.org/x/text/encoding/charmap) by go test ./charset -update.\n\n")
	fmt.Fprintf(&b, "charset_map %s %s {\n", from, to)
	for c := 0x80; c <= 0xff; c++ {
		r := src.DecodeByte(byte(c))
		if r == utf8.RuneError {
			continue
		}
		if dst == nil {
			fmt.Fprintf(&b, "    %02X %X ;\n", c, string(r))
			continue
		}
		if d, ok := dst.EncodeRune(r); ok {
			fmt.Fprintf(&b, "    %02X %02X ;\n", c, d)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

var shipped = []struct {
	file, text string
}{
	{"koi-win", shippedMap("koi-win", "koi8-r", "windows-1251", charmap.KOI8R, charmap.Windows1251)},
	{"koi-utf", shippedMap("koi-utf", "koi8-r", "utf-8", charmap.KOI8R, nil)},
	{"win-utf", shippedMap("win-utf", "windows-1251", "utf-8", charmap.Windows1251, nil)},
}

func TestShippedMaps(t *testing.T) {
	for _, m := range shipped {
		path := filepath.Join("..", "conf", m.file)
		if *golden.Update {
			if err := os.WriteFile(path, []byte(m.text), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != m.text {
			t.Errorf("conf/%s is not what the generator makes (go test ./charset -update rewrites it)", m.file)
		}
	}
}

// TestShippedMapsRecode includes the shipped files and recodes a page
// of Russian text both ways, compared with nginx on the same files.
func TestShippedMapsRecode(t *testing.T) {
	koi, _ := charmap.KOI8R.NewEncoder().String("Привет, мир! ёЁ")
	win, _ := charmap.Windows1251.NewEncoder().String("Привет, мир! ёЁ")
	files := map[string]string{"koi.html": koi, "win.html": win, "utf.html": "Привет, мир! ёЁ"}
	for _, m := range shipped {
		files["conf/"+m.file] = m.text
	}
	p := nginxtest.Start(t, `events {}
http {
    access_log off;
    include {{ROOT}}/conf/koi-win;
    include {{ROOT}}/conf/koi-utf;
    include {{ROOT}}/conf/win-utf;
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        location /k2w/ { charset windows-1251; source_charset koi8-r; alias {{ROOT}}/; }
        location /w2k/ { charset koi8-r; source_charset windows-1251; alias {{ROOT}}/; }
        location /k2u/ { charset utf-8; source_charset koi8-r; alias {{ROOT}}/; }
        location /u2k/ { charset koi8-r; source_charset utf-8; alias {{ROOT}}/; }
        location /w2u/ { charset utf-8; source_charset windows-1251; alias {{ROOT}}/; }
        location /u2w/ { charset windows-1251; source_charset utf-8; alias {{ROOT}}/; }
    }
}
`, nginxtest.Options{Files: files})
	for _, c := range []struct{ path, want string }{
		{"/k2w/koi.html", win}, {"/w2k/win.html", koi}, {"/k2u/koi.html", "Привет, мир! ёЁ"},
		{"/u2k/utf.html", koi}, {"/w2u/win.html", "Привет, мир! ёЁ"}, {"/u2w/utf.html", win},
	} {
		_, gp := p.Compare(t, nginxtest.Get(c.path))
		if string(gp.Body) != c.want {
			t.Errorf("%s: %q, want %q", c.path, gp.Body, c.want)
		}
	}
}
