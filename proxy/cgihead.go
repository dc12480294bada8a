package proxy

// cgihead.go reads the CGI response head FastCGI, SCGI and uwsgi
// applications write (header lines, "Status:" giving the status, an
// empty line) and frames the body that follows.

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strconv"

	"goproxy/httpd"
)

// readCGIHead reads a CGI head of at most proxy's buffer size from r;
// the response's body is what r holds after it. The status comes from
// an HTTP status line if the head starts with one (uwsgi and SCGI
// applications may send it), else from Status:, else it is 302 when
// there is a Location and 200 otherwise, as in nginx.
func readCGIHead(r io.Reader, a *attempt) (*http.Response, error) {
	max := a.maxHead
	if max <= 0 {
		max = defaultBufferSize
	}
	br := bufio.NewReaderSize(r, max)
	resp := &http.Response{Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, ContentLength: -1}
	total := 0
	seen := map[string]bool{}
	statusLine := false
	if b, _ := br.Peek(5); string(b) == "HTTP/" {
		line, err := br.ReadSlice('\n')
		total += len(line)
		if err == nil && parseStatusLine(line, resp) {
			statusLine = true
		} else if err == bufio.ErrBufferFull {
			a.invalidHead = true
			return nil, errTooBigHeader
		} else if err != nil {
			return nil, unexpected(err)
		} else {
			a.invalidHead = true
			return nil, &headError{"upstream sent invalid header"}
		}
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = "HTTP/1.1", 1, 1
	}
	for {
		line, err := br.ReadSlice('\n')
		total += len(line)
		if err == bufio.ErrBufferFull || total > max {
			a.invalidHead = true
			return nil, errTooBigHeader
		}
		if err != nil {
			var he *headError
			if errors.As(err, &he) {
				a.invalidHead = true
				return nil, err
			}
			if err == io.EOF {
				// The application ended its output inside the head.
				a.invalidHead = true
				return nil, &headError{"upstream prematurely closed FastCGI stdout"}
			}
			return nil, err
		}
		name, v0, v1, end, err := parseHeaderLine(line)
		if err != nil {
			a.invalidHead = true
			return nil, err
		}
		if end {
			break
		}
		if name == nil {
			continue
		}
		key := http.CanonicalHeaderKey(string(name))
		if !seen[key] {
			seen[key] = true
			a.names = append(a.names, httpd.HeaderName{Key: key, Name: string(name)})
		}
		resp.Header[key] = append(resp.Header[key], string(line[v0:v1]))
	}
	if statusLine {
		delete(resp.Header, "Status")
	} else if err := cgiStatus(resp); err != nil {
		a.invalidHead = true
		return nil, err
	}
	length := int64(-1)
	if cl := resp.Header["Content-Length"]; len(cl) > 0 {
		if n, err := strconv.ParseInt(cl[len(cl)-1], 10, 64); err == nil && n >= 0 {
			length = n
			resp.Header["Content-Length"] = cl[len(cl)-1:]
		} else {
			delete(resp.Header, "Content-Length")
		}
	}
	delete(resp.Header, "Transfer-Encoding")
	resp.ContentLength = length
	resp.Body = &cgiBody{r: br, left: length}
	return resp, nil
}

// cgiStatus sets the status from the Status header, or nginx's default.
func cgiStatus(resp *http.Response) error {
	s := resp.Header.Get("Status")
	if s == "" {
		if resp.Header.Get("Location") != "" {
			resp.StatusCode, resp.Status = 302, "302 Moved Temporarily"
		} else {
			resp.StatusCode, resp.Status = 200, "200 OK"
		}
		return nil
	}
	code, err := strconv.Atoi(s[:min(3, len(s))])
	if len(s) < 3 || err != nil || code < 100 || code > 999 || s[0] == '+' || s[0] == '-' {
		return &headError{"upstream sent invalid status \"" + s + "\""}
	}
	resp.StatusCode = code
	if len(s) > 3 {
		resp.Status = s
	} else if t := http.StatusText(code); t != "" {
		resp.Status = s + " " + t
	} else {
		resp.Status = s
	}
	return nil
}

// cgiBody is a CGI response body: to the end of the application's
// output, or its Content-Length, beyond which nginx drops the rest.
type cgiBody struct {
	r    io.Reader
	left int64 // -1: no Content-Length
}

func (b *cgiBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		// Read to the protocol's end, so the connection may be reused;
		// nginx drops what goes past Content-Length.
		_, err := io.Copy(io.Discard, b.r)
		if err == nil {
			err = io.EOF
		}
		return 0, err
	}
	if b.left > 0 && int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	if b.left > 0 {
		b.left -= int64(n)
	}
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if b.left == 0 && err == nil && n > 0 {
		return n, nil
	}
	return n, err
}

func (b *cgiBody) Close() error { return nil }
