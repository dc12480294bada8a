package ssl

// ocspfetch.go asks an OCSP responder about a certificate the way nginx
// does, for stapling (ssl_stapling) and for client certificates
// (ssl_ocsp): an HTTP/1.0 GET of the base64 request escaped into the
// URI, answered 200 with application/ocsp-response. The errors are
// nginx's, with its " while requesting certificate status" context.

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// Env is what the TLS side takes from the server around it.
type Env struct {
	// Resolve looks a responder's host name up: the "resolver"
	// directive's client; nil uses the system's resolver.
	Resolve func(ctx context.Context, host string) ([]string, error)
	// ResolveTimeout is resolver_timeout.
	ResolveTimeout time.Duration
	// Log writes a line to the error log; nil drops it.
	Log func(level confparse.Level, msg string)
}

func (e *Env) log(level confparse.Level, msg string) {
	if e != nil && e.Log != nil {
		e.Log(level, msg)
	}
}

// ocspTimeout bounds an exchange with a responder, as nginx's 60 s.
const ocspTimeout = 60 * time.Second

// ocspMaxResponse is as much of a response as nginx reads (its buffer).
const ocspMaxResponse = 16384

// responder is a parsed OCSP responder URL: "http://host[:port][/uri]".
type responder struct {
	url, host, port, uri string
}

// parseResponder reads a responder URL as nginx's ngx_parse_url; the
// error says why nginx would ignore it.
func parseResponder(u string) (*responder, error) {
	if len(u) <= 7 || !strings.EqualFold(u[:7], "http://") {
		return nil, errors.New("invalid URL prefix")
	}
	hostport, uri := u[7:], "/"
	if i := strings.IndexAny(hostport, "/?"); i >= 0 {
		hostport, uri = hostport[:i], hostport[i:]
		if uri[0] == '?' {
			uri = "/" + uri
		}
	}
	if hostport == "" {
		return nil, errors.New("empty host")
	}
	host, port := hostport, "80"
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]") {
		host = hostport[1 : len(hostport)-1]
	}
	return &responder{url: u, host: host, port: port, uri: uri}, nil
}

// ocspError is a failed exchange: the message nginx logs, and the peer.
type ocspError struct {
	msg, peer string
}

func (e *ocspError) Error() string { return e.msg }

// fetchOCSP asks r about cert (issued by issuer) and returns the DER
// response, checked only for an HTTP 200 of the right type, and the
// address it came from.
func fetchOCSP(ctx context.Context, env *Env, r *responder, cert, issuer *x509.Certificate) ([]byte, string, error) {
	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return nil, "", &ocspError{msg: "OCSP_cert_to_id() failed"}
	}
	ctx, cancel := context.WithTimeout(ctx, ocspTimeout)
	defer cancel()
	addrs := []string{r.host}
	if net.ParseIP(r.host) == nil {
		rctx, rcancel := ctx, context.CancelFunc(func() {})
		if env != nil && env.ResolveTimeout > 0 {
			rctx, rcancel = context.WithTimeout(ctx, env.ResolveTimeout)
		}
		if env != nil && env.Resolve != nil {
			addrs, err = env.Resolve(rctx, r.host)
		} else {
			addrs, err = net.DefaultResolver.LookupHost(rctx, r.host)
		}
		rcancel()
		if err != nil || len(addrs) == 0 {
			return nil, "", &ocspError{msg: fmt.Sprintf("%s could not be resolved (%v)", r.host, err)}
		}
	}
	// The addresses in turn until one takes the connection.
	var c net.Conn
	var peer string
	for i, a := range addrs {
		peer = net.JoinHostPort(a, r.port)
		var d net.Dialer
		if c, err = d.DialContext(ctx, "tcp", peer); err == nil || i == len(addrs)-1 {
			break
		}
		env.log(confparse.LevelError, "connect() failed ("+confparse.ErrnoText(err)+") while requesting certificate status, responder: "+
			r.host+", peer: "+peer)
	}
	if c == nil {
		return nil, peer, &ocspError{msg: "connect() failed (" + confparse.ErrnoText(err) + ")", peer: peer}
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	uri := r.uri
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	host := r.host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if r.port != "80" {
		host += ":" + r.port
	}
	msg := "GET " + uri + httpcore.EscapeComponent(base64.StdEncoding.EncodeToString(req)) + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n"
	if _, err := io.WriteString(c, msg); err != nil {
		return nil, "", &ocspError{msg: "send() failed (" + confparse.ErrnoText(err) + ")", peer: peer}
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, "", &ocspError{msg: "OCSP responder timed out", peer: peer}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, "", &ocspError{msg: "OCSP responder prematurely closed connection", peer: peer}
		}
		return nil, "", &ocspError{msg: "OCSP responder sent invalid response", peer: peer}
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "" && !strings.EqualFold(ct, "application/ocsp-response") {
		return nil, "", &ocspError{msg: fmt.Sprintf("OCSP responder sent invalid \"Content-Type\" header: %q", ct), peer: peer}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, ocspMaxResponse+1))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, "", &ocspError{msg: "OCSP responder timed out", peer: peer}
		}
		return nil, "", &ocspError{msg: "OCSP responder prematurely closed connection", peer: peer}
	}
	if resp.StatusCode != 200 || len(body) > ocspMaxResponse {
		return nil, "", &ocspError{msg: "OCSP responder sent invalid response", peer: peer}
	}
	return body, peer, nil
}

// ocspStatusNames are OpenSSL's OCSP_cert_status_str.
var ocspStatusNames = map[int]string{ocsp.Good: "good", ocsp.Revoked: "revoked", ocsp.Unknown: "unknown"}

// ocspResponseStatusNames are OpenSSL's OCSP_response_status_str.
var ocspResponseStatusNames = map[ocsp.ResponseStatus]string{
	ocsp.Success: "successful", ocsp.Malformed: "malformedrequest", ocsp.InternalError: "internalerror",
	ocsp.TryLater: "trylater", ocsp.SignatureRequired: "sigrequired", ocsp.Unauthorized: "unauthorized",
}

// ocspFlags are the OCSP_basic_verify flags nginx uses.
type ocspFlags int

const (
	ocspNoVerify   ocspFlags = iota // stapling without ssl_stapling_verify
	ocspTrustOther                  // stapling with it: the server's chain is trusted
	ocspVerify                      // ssl_ocsp: every signer is verified
)

// checkOCSP parses a response about cert and checks it as nginx's
// OCSP_basic_verify with the flags it uses: when verifying, the signer
// must be trusted (with ocspTrustOther one of chain is; others verify up
// to trust) and be the issuer or a responder the issuer delegated to;
// without, only the signature by the certificate the response carries is
// checked. The status must be found, and thisUpdate and nextUpdate
// must hold now (5 minutes' leeway).
func checkOCSP(der []byte, cert, issuer *x509.Certificate, flags ocspFlags, chain []*x509.Certificate, trust *Trust, now time.Time) (*ocsp.Response, error) {
	resp, err := ocsp.ParseResponseForCert(der, cert, nil)
	if err != nil {
		var re ocsp.ResponseError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("OCSP response not successful (%d: %s)", int(re.Status), ocspResponseStatusNames[re.Status])
		}
		if strings.Contains(err.Error(), "no response matching") {
			return nil, errors.New("certificate status not found in the OCSP response")
		}
		return nil, errors.New("OCSP_basic_verify() failed")
	}
	signer := resp.Certificate
	if signer == nil {
		// The responder sent no certificate: OpenSSL looks for the
		// signer among those the server sends (not in the store).
		for _, c := range chain {
			if resp.CheckSignatureFrom(c) == nil {
				signer = c
				break
			}
		}
		if signer == nil {
			return nil, errors.New("OCSP_basic_verify() failed (SSL: OCSP routines::signer certificate not found)")
		}
	}
	if flags != ocspNoVerify {
		if reason := trustedSigner(signer, issuer, chain, flags == ocspTrustOther, trust, now); reason != "" {
			return nil, errors.New("OCSP_basic_verify() failed (SSL: OCSP routines::" + reason + ")")
		}
	}
	if now.Add(5*time.Minute).Before(resp.ThisUpdate) || !resp.NextUpdate.IsZero() && now.Add(-5*time.Minute).After(resp.NextUpdate) {
		return nil, errors.New("OCSP_check_validity() failed")
	}
	return resp, nil
}

// trustedSigner is OCSP_basic_verify's signer check: with
// OCSP_TRUSTOTHER (other) a certificate of chain is trusted as it is;
// another must verify up to a trusted root and be the issuer, or be
// issued by it for OCSP signing. It returns "" or OpenSSL's reason.
func trustedSigner(signer, issuer *x509.Certificate, chain []*x509.Certificate, other bool, trust *Trust, now time.Time) string {
	if other && slices.ContainsFunc(chain, signer.Equal) {
		return ""
	}
	path := append([]*x509.Certificate{signer}, chain...)
	if !signer.Equal(issuer) {
		path = append([]*x509.Certificate{signer, issuer}, chain...)
	}
	if trust == nil || trust.Verify(path, 100, x509.ExtKeyUsageAny, now) != "" {
		return "certificate verify error"
	}
	if signer.Equal(issuer) {
		return ""
	}
	if signer.CheckSignatureFrom(issuer) == nil && slices.Contains(signer.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		return ""
	}
	return "root ca not trusted"
}
