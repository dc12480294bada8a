package ssl

import (
	"crypto/x509"
	"testing"
	"time"

	"goproxy/internal/testcerts"
)

// TestTrustDepthCountsTrustedIntermediate: a CA file with a root and an
// intermediate still makes a chain through the intermediate count it
// against the depth (OpenSSL builds up to the self-signed root), and an
// intermediate alone is no trust anchor.
func TestTrustDepthCountsTrustedIntermediate(t *testing.T) {
	root := testcerts.NewCA(t, "root")
	inter := root.Intermediate(t, "int")
	end := inter.Client(t, testcerts.Opts{}, "end")
	both := NewTrust([]*x509.Certificate{root.Cert, inter.Cert})
	leaf := []*x509.Certificate{end.Cert}
	now := time.Now()
	if got := both.Verify(leaf, 0, x509.ExtKeyUsageClientAuth, now); got != errChainTooLong {
		t.Errorf("depth 0: %q, want %q", got, errChainTooLong)
	}
	if got := both.Verify(leaf, 1, x509.ExtKeyUsageClientAuth, now); got != "" {
		t.Errorf("depth 1: %q, want success", got)
	}
	if got := both.Verify([]*x509.Certificate{inter.Cert}, 0, x509.ExtKeyUsageClientAuth, now); got != "" {
		t.Errorf("intermediate at depth 0: %q, want success", got)
	}
	only := NewTrust([]*x509.Certificate{inter.Cert})
	if got := only.Verify(leaf, 5, x509.ExtKeyUsageClientAuth, now); got == "" {
		t.Error("an intermediate without its root was taken as a trust anchor")
	}
}
