package entrypoint

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnvsubst(t *testing.T) {
	vars := map[string]string{"NAME": "example.com", "EMPTY": "", "A_1": "x"}
	for in, want := range map[string]string{
		"server_name ${NAME};":         "server_name example.com;",
		"server_name $NAME;":           "server_name example.com;",
		"return 200 \"$server_name\";": "return 200 \"$server_name\";",
		"$UNDEFINED ${UNDEFINED}":      "$UNDEFINED ${UNDEFINED}",
		"[$EMPTY][${EMPTY}]":           "[][]",
		"${NAME:-other} ${NAME":        "${NAME:-other} ${NAME",
		"$NAMES $A_1b $A_1":            "$NAMES $A_1b x",
		"$$NAME $1 $ {NAME} ${}":       "$example.com $1 $ {NAME} ${}",
		"tail $":                       "tail $",
	} {
		if got := envsubst(in, vars); got != want {
			t.Errorf("envsubst(%q) = %q, want %q", in, got, want)
		}
	}
}

// templateEnv points the template step at a temporary tree.
func templateEnv(t *testing.T) (dir string, r *runner, out *bytes.Buffer) {
	dir = t.TempDir()
	for _, d := range []string{"templates/sub", "conf.d"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	t.Setenv("NGINX_ENVSUBST_TEMPLATE_DIR", dir+"/templates")
	t.Setenv("NGINX_ENVSUBST_OUTPUT_DIR", dir+"/conf.d")
	t.Setenv("NGINX_ENVSUBST_STREAM_OUTPUT_DIR", dir+"/stream-conf.d")
	t.Setenv("NGINX_ENTRYPOINT_QUIET_LOGS", "")
	os.WriteFile(dir+"/nginx.conf", []byte("http {\n}\n"), 0o644)
	out = &bytes.Buffer{}
	return dir, &runner{Paths: Paths{NginxConf: dir + "/nginx.conf"}, out: out}, out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTemplates(t *testing.T) {
	dir, r, out := templateEnv(t)
	t.Setenv("NGINX_MY_SERVER_NAME", "example.com")
	os.WriteFile(dir+"/templates/default.conf.template",
		[]byte("server { server_name ${NGINX_MY_SERVER_NAME}; return 200 \"$server_name $HOME_UNSET\"; }\n"), 0o644)
	os.WriteFile(dir+"/templates/sub/x.conf.template", []byte("# $NGINX_MY_SERVER_NAME\n"), 0o644)
	os.WriteFile(dir+"/templates/ignored.conf", []byte("x"), 0o644)
	if err := templates(r, "20-envsubst-on-templates.sh"); err != nil {
		t.Fatal(err)
	}
	if got, want := read(t, dir+"/conf.d/default.conf"),
		"server { server_name example.com; return 200 \"$server_name $HOME_UNSET\"; }\n"; got != want {
		t.Errorf("default.conf = %q, want %q", got, want)
	}
	if got := read(t, dir+"/conf.d/sub/x.conf"); got != "# example.com\n" {
		t.Errorf("sub/x.conf = %q", got)
	}
	if _, err := os.Stat(dir + "/conf.d/ignored.conf"); err == nil {
		t.Error("a file without the suffix was rendered")
	}
	want := "20-envsubst-on-templates.sh: Running envsubst on " + dir + "/templates/default.conf.template to " + dir + "/conf.d/default.conf\n"
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("log = %q, want it to start with %q", out, want)
	}
}

func TestTemplatesFilterAndSuffix(t *testing.T) {
	dir, r, _ := templateEnv(t)
	t.Setenv("NGINX_ENVSUBST_FILTER", "^APP_")
	t.Setenv("NGINX_ENVSUBST_TEMPLATE_SUFFIX", ".tmpl")
	t.Setenv("APP_PORT", "8000")
	t.Setenv("OTHER", "no")
	os.WriteFile(dir+"/templates/app.conf.tmpl", []byte("$APP_PORT $OTHER\n"), 0o644)
	if err := templates(r, "20"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, dir+"/conf.d/app.conf"); got != "8000 $OTHER\n" {
		t.Errorf("app.conf = %q", got)
	}
	t.Setenv("NGINX_ENVSUBST_FILTER", "(")
	if err := templates(r, "20"); err == nil {
		t.Error("a broken filter was accepted")
	}
}

func TestTemplatesOutputNotWritable(t *testing.T) {
	dir, r, out := templateEnv(t)
	t.Setenv("NGINX_ENVSUBST_OUTPUT_DIR", dir+"/missing")
	os.WriteFile(dir+"/templates/a.conf.template", []byte("x"), 0o644)
	if err := templates(r, "me"); err != nil {
		t.Fatal(err)
	}
	if want := "me: ERROR: " + dir + "/templates exists, but " + dir + "/missing is not writable\n"; out.String() != want {
		t.Errorf("log = %q, want %q", out, want)
	}
}

func TestStreamTemplates(t *testing.T) {
	dir, r, out := templateEnv(t)
	t.Setenv("PORT", "5353")
	os.WriteFile(dir+"/templates/dns.conf.stream-template", []byte("server { listen $PORT; }\n"), 0o644)
	for i := 0; i < 2; i++ { // the second run finds the block already there
		if err := templates(r, "me"); err != nil {
			t.Fatal(err)
		}
	}
	if got := read(t, dir+"/stream-conf.d/dns.conf"); got != "server { listen 5353; }\n" {
		t.Errorf("dns.conf = %q", got)
	}
	conf := read(t, dir+"/nginx.conf")
	if strings.Count(conf, "stream {") != 1 || !strings.Contains(conf, "include "+dir+"/stream-conf.d/*.conf;") {
		t.Errorf("nginx.conf = %q", conf)
	}
	if !strings.Contains(out.String(), "me: Appending stream block to "+dir+"/nginx.conf") ||
		!strings.Contains(out.String(), "contains a stream block; include "+dir+"/stream-conf.d/*.conf to enable stream templates") {
		t.Errorf("log = %q", out)
	}
}
