package ssl

import (
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"goproxy/internal/testcerts"
)

func writeCRL(t *testing.T, pems ...[]byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.crl")
	var all []byte
	for _, b := range pems {
		all = append(all, b...)
	}
	if err := os.WriteFile(p, all, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCRLChainChecks: every certificate of the chain needs its issuer's
// CRL (OpenSSL's CRL_CHECK_ALL), and the reason is the last failing
// certificate's, so a revoked intermediate wins over a leaf without one.
func TestCRLChainChecks(t *testing.T) {
	root := testcerts.NewCA(t, "root")
	inter := root.Intermediate(t, "int")
	end := inter.Client(t, testcerts.Opts{}, "end")
	trust := NewTrust([]*x509.Certificate{root.Cert, inter.Cert})
	now := time.Now()
	cases := []struct {
		name string
		crls [][]byte
		want string
	}{
		{"root's only", [][]byte{root.CRL(t)}, errNoCRL},
		{"both, none revoked", [][]byte{root.CRL(t), inter.CRL(t)}, ""},
		{"leaf revoked", [][]byte{root.CRL(t), inter.CRL(t, end)}, errCertRevoked},
		{"intermediate revoked, no leaf CRL", [][]byte{root.CRL(t, inter)}, errCertRevoked},
		{"another key's of the same name", [][]byte{root.CRL(t), testcerts.NewCA(t, "int").CRL(t)}, errCRLSignature},
	}
	for _, c := range cases {
		crls, err := LoadCRL(writeCRL(t, c.crls...))
		if err != nil {
			t.Fatal(err)
		}
		trust.CRL = crls
		if got := trust.Verify([]*x509.Certificate{end.Cert}, 2, x509.ExtKeyUsageClientAuth, now); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	crls, _ := LoadCRL(writeCRL(t, root.CRL(t), inter.CRL(t)))
	trust.CRL = crls
	if got := trust.Verify([]*x509.Certificate{end.Cert}, 2, x509.ExtKeyUsageClientAuth, now.Add(48*time.Hour)); got != errCRLExpired {
		t.Errorf("two days on: %q, want %q", got, errCRLExpired)
	}
}

// TestCRLVersion1: "openssl ca -gencrl" without CRL extensions writes a
// version 1 list, which crypto/x509 alone refuses; it loads, and its
// signature is checked on what was signed.
func TestCRLVersion1(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl")
	}
	d := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("openssl", args...)
		cmd.Dir = d
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	conf := "[ ca ]\ndefault_ca = myca\n[ myca ]\ndatabase = " + d + "/index\ndefault_md = sha256\n" +
		"[ req ]\ndistinguished_name = dn\nx509_extensions = ext\n[ dn ]\n[ ext ]\nbasicConstraints = critical,CA:TRUE\n"
	if err := os.WriteFile(filepath.Join(d, "ca.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "index"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	run("req", "-x509", "-new", "-config", "ca.conf", "-subj", "/CN=root/", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:P-256", "-nodes", "-out", "root.crt", "-keyout", "root.key")
	run("ca", "-gencrl", "-config", "ca.conf", "-keyfile", "root.key", "-cert", "root.crt", "-out", "v1.crl", "-crldays", "1")
	crls, err := LoadCRL(filepath.Join(d, "v1.crl"))
	if err != nil {
		t.Fatal(err)
	}
	roots := poolCerts(filepath.Join(d, "root.crt"))
	if len(roots) != 1 {
		t.Fatal("root.crt")
	}
	if got := crls.Check([]*x509.Certificate{roots[0]}, time.Now()); got != "" {
		t.Errorf("root against its v1 CRL: %q", got)
	}
	for _, l := range crls.byIssuer {
		l[0].list.RawTBSRevocationList = append([]byte(nil), l[0].list.RawTBSRevocationList...)
		l[0].list.RawTBSRevocationList[len(l[0].list.RawTBSRevocationList)-1] ^= 1
	}
	if got := crls.Check([]*x509.Certificate{roots[0]}, time.Now()); got != errCRLSignature {
		t.Errorf("tampered: %q, want %q", got, errCRLSignature)
	}
}
