package acme

// challenge.go answers the CA's validation: HTTP-01 on every plain-HTTP
// server before its own configuration is consulted (nginx's module does
// the same, so "location / { return 404; }" does not stop it), and
// TLS-ALPN-01 in the handshake.

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

var (
	httpTokens sync.Map // token -> key authorization
	alpnCerts  sync.Map // identifier -> *tls.Certificate
)

// ChallengePrefix is where HTTP-01 asks.
const ChallengePrefix = "/.well-known/acme-challenge/"

// HTTPChallenge is the answer to an HTTP-01 request for uri, if a
// challenge with that token is being validated.
func HTTPChallenge(uri string) (string, bool) {
	tok, ok := strings.CutPrefix(uri, ChallengePrefix)
	if !ok || tok == "" {
		return "", false
	}
	v, ok := httpTokens.Load(tok)
	if !ok {
		return "", false
	}
	return v.(string), true
}

// ALPNChallenge answers a handshake that offers "acme-tls/1" for a name
// being validated by TLS-ALPN-01: a config presenting the challenge
// certificate, or nil.
func ALPNChallenge(hello *tls.ClientHelloInfo) *tls.Config {
	cert, ok := challengeCert(hello)
	if !ok {
		return nil
	}
	return &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"acme-tls/1"}}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// fetchWindow reads a renewal information resource.
func fetchWindow(ctx context.Context, hc *http.Client, url string) (start, end time.Time, ok bool) {
	rq, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return
	}
	resp, err := hc.Do(rq)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return
	}
	var ri struct {
		SuggestedWindow struct {
			Start, End time.Time
		} `json:"suggestedWindow"`
	}
	if json.NewDecoder(resp.Body).Decode(&ri) != nil || !ri.SuggestedWindow.Start.Before(ri.SuggestedWindow.End) {
		return
	}
	return ri.SuggestedWindow.Start, ri.SuggestedWindow.End, true
}
