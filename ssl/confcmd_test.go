package ssl_test

import (
	"crypto/tls"
	"fmt"
	"testing"

	"goproxy/internal/nginxtest"
	"goproxy/internal/testcerts"
)

// TestConfCommandsDiff: the OpenSSL commands goproxy honours do what
// they do in nginx: protocol bounds and lists over ssl_protocols, a
// certificate in place of the configured one of its key type, curves.
func TestConfCommandsDiff(t *testing.T) {
	ca := testcerts.NewCA(t, "Root")
	f := files{}
	f.add("site", ca.Server(t, testcerts.Opts{}, "site.test"))
	f.add("override", ca.Server(t, testcerts.Opts{}, "override.test"))
	f.add("rsa", ca.Server(t, testcerts.Opts{Key: testcerts.RSA}, "rsa.test"))
	srv := func(port, extra string) string {
		return `
    server {
        listen 127.0.0.1:{{PORT` + port + `}} ssl;
        ssl_certificate {{ROOT}}/certs/site.crt;
        ssl_certificate_key {{ROOT}}/certs/site.key;
        ` + extra + `
        return 200 "$ssl_protocol\n";
    }`
	}
	conf := "events {}\nhttp {\n    access_log off;\n    ssl_protocols TLSv1.2 TLSv1.3;" +
		srv("", "ssl_conf_command MaxProtocol TLSv1.2;") +
		srv("1", "ssl_conf_command MinProtocol TLSv1.3;") +
		srv("2", "ssl_conf_command Protocol -TLSv1.3;") +
		srv("3", "ssl_conf_command Certificate {{ROOT}}/certs/override.crt; ssl_conf_command PrivateKey {{ROOT}}/certs/override.key;") +
		srv("4", "ssl_conf_command Certificate {{ROOT}}/certs/rsa.crt; ssl_conf_command PrivateKey {{ROOT}}/certs/rsa.key;") +
		srv("5", "ssl_conf_command Groups P-384; ssl_conf_command Ciphersuites TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256;") +
		"\n}\n"
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 6, Files: f})
	for port := 0; port < 6; port++ {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			for _, curves := range [][]tls.CurveID{nil, {tls.CurveP256}} {
				cfg := client("x.test")
				cfg.MinVersion, cfg.MaxVersion, cfg.CurvePreferences = v, v, curves
				ng, gp := p.BothTLS(t, port, cfg, get("x.test", "/"))
				compareTLS(t, p, fmt.Sprintf("port %d, TLS %x, curves %v", port, v, curves), ng, gp)
			}
		}
		cfg := client("x.test")
		cfg.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
		ng, gp := p.BothTLS(t, port, cfg, get("x.test", "/"))
		compareTLS(t, p, fmt.Sprintf("port %d, either key", port), ng, gp)
	}
}
