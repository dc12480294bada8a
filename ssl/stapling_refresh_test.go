package ssl

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"goproxy/internal/testcerts"
)

// TestStaplingRefresh: a fetched response is kept until its nextUpdate
// and fetched again 5 minutes before it, but not sooner than 5 minutes
// on and not later than an hour on; a failure keeps the old staple and
// tries again in 5 minutes.
func TestStaplingRefresh(t *testing.T) {
	ca := testcerts.NewCA(t, "Root")
	leaf := ca.Server(t, testcerts.Opts{}, "a.test")
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(body)
	}))
	defer srv.Close()
	r, err := parseResponder(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	respond := func(next time.Duration) []byte {
		now := time.Now()
		der, err := ocsp.CreateResponse(ca.Cert, ca.Cert, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.Cert.SerialNumber,
			ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(next), Certificate: ca.Cert}, ca.Key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	st := &stapler{leaf: leaf.Cert, issuer: ca.Cert, responder: r, env: &Env{}, name: "a.crt"}
	near := func(got time.Time, want time.Duration) bool {
		d := time.Until(got)
		return d > want-time.Minute && d <= want
	}
	for _, c := range []struct {
		next, refresh time.Duration
	}{{24 * time.Hour, time.Hour}, {30 * time.Minute, 25 * time.Minute}, {6 * time.Minute, 5 * time.Minute}} {
		body = respond(c.next)
		st.update()
		if st.staple == nil || !near(st.refresh, c.refresh) || !near(st.valid, c.next) {
			t.Errorf("nextUpdate in %v: refresh in %v, valid for %v; want %v, %v", c.next,
				time.Until(st.refresh).Round(time.Second), time.Until(st.valid).Round(time.Second), c.refresh, c.next)
		}
	}
	kept := st.staple
	body = []byte("not a response")
	st.update()
	if string(st.staple) != string(kept) || !near(st.refresh, 5*time.Minute) {
		t.Errorf("after a failure: staple kept %v, refresh in %v", string(st.staple) == string(kept), time.Until(st.refresh))
	}
	// A client that does not ask for a staple starts no fetch.
	st.refresh = time.Time{}
	st.current(&tls.ClientHelloInfo{})
	if st.loading {
		t.Error("a handshake without status_request started a fetch")
	}
	b := st.current(&tls.ClientHelloInfo{Extensions: []uint16{extStatusRequest}})
	st.mu.Lock()
	started := st.loading || st.refresh.After(time.Now())
	st.mu.Unlock()
	if string(b) != string(kept) || !started {
		t.Errorf("status_request: staple %v, fetch started %v", b != nil, started)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		st.mu.Lock()
		done := !st.loading
		st.mu.Unlock()
		if done {
			break
		}
	}
}
