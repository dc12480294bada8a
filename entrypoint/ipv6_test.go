package entrypoint

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The image's default.conf must be the one packagedSum describes, or a
// container without IPv6 would fail to start on it.
func TestPackagedDefaultConf(t *testing.T) {
	b, err := os.ReadFile("../conf/conf.d/default.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !packaged(b) || !listenV6.Match(b) {
		t.Fatal("conf/conf.d/default.conf changed: update packagedSum")
	}
	unpriv := bytes.ReplaceAll(b, []byte(":80;"), []byte(":8080;"))
	unpriv = bytes.ReplaceAll(unpriv, []byte(" 80;"), []byte(" 8080;"))
	if !packaged(unpriv) {
		t.Error("the unprivileged image's default.conf (port 8080) is not recognised")
	}
}

func TestListenIPv6(t *testing.T) {
	orig, err := os.ReadFile("../conf/conf.d/default.conf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := &bytes.Buffer{}
	r := &runner{Paths: Paths{DefaultConf: dir + "/default.conf", IfInet6: dir + "/if_inet6"}, out: out}
	step := func() string {
		out.Reset()
		if err := listenIPv6(r, "10"); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	os.WriteFile(r.DefaultConf, orig, 0o644)

	// No IPv6: the packaged file loses its [::] listen.
	if log := step(); log != "10: info: ipv6 not available\n10: info: Disabled listen on IPv6 in "+r.DefaultConf+"\n" {
		t.Errorf("log = %q", log)
	}
	noV6 := read(t, r.DefaultConf)
	if strings.Contains(noV6, "[::]") || noV6 != strings.Replace(string(orig), "    listen  [::]:80;\n", "", 1) {
		t.Errorf("default.conf without IPv6 = %q", noV6)
	}
	// IPv6 again (a restarted container): the line comes back.
	os.WriteFile(r.IfInet6, nil, 0o644)
	if log := step(); !strings.HasSuffix(log, "10: info: Enabled listen on IPv6 in "+r.DefaultConf+"\n") {
		t.Errorf("log = %q", log)
	}
	if read(t, r.DefaultConf) != string(orig) {
		t.Errorf("default.conf with IPv6 = %q", read(t, r.DefaultConf))
	}
	if log := step(); log != "10: info: IPv6 listen already enabled\n" {
		t.Errorf("log = %q", log)
	}
	// A file the user changed is never touched.
	os.Remove(r.IfInet6)
	changed := strings.Replace(string(orig), "localhost", "example.com", 1)
	os.WriteFile(r.DefaultConf, []byte(changed), 0o644)
	if step(); read(t, r.DefaultConf) != changed {
		t.Error("a changed default.conf was modified")
	}
	os.WriteFile(r.IfInet6, nil, 0o644)
	os.Remove(r.DefaultConf)
	if log := step(); log != "10: info: "+r.DefaultConf+" is not a file or does not exist\n" {
		t.Errorf("log = %q", log)
	}
}
