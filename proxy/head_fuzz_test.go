package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// FuzzResponseHead reads any bytes as an upstream's response and checks
// what the client could be sent: a three-digit status and a status line
// without CR or LF, names without white space or controls, values
// without CR, LF or NUL; a response without a status line consumes
// nothing (it is passed on as HTTP/0.9); a head written out again reads
// back the same; the body reader ends without reading more than framed.
// Seeds: testdata/fuzz/FuzzResponseHead.
func FuzzResponseHead(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, head bool, size uint16) {
		data = data[:min(len(data), 16<<10)]
		max := int(size%8192) + 64
		req := &http.Request{Method: "GET"}
		if head {
			req.Method = "HEAD"
		}
		br := bufio.NewReaderSize(bytes.NewReader(data), max+16)
		resp, names, err := readResponse(br, max, req)
		if err == errHTTP09 {
			rest, _ := io.ReadAll(br)
			if !bytes.Equal(rest, data) {
				t.Fatalf("HTTP/0.9 answer consumed %d bytes", len(data)-len(rest))
			}
			return
		}
		if err != nil {
			return
		}
		if resp.StatusCode < 0 || resp.StatusCode > 999 || strings.ContainsAny(resp.Status, "\r\n") {
			t.Fatalf("status %d %q", resp.StatusCode, resp.Status)
		}
		checkHeader(t, resp.Header)
		// Each key has one name, spelt as its key case-insensitively.
		seen := map[string]bool{}
		for _, hn := range names {
			if seen[hn.Key] || !strings.EqualFold(hn.Key, hn.Name) {
				t.Fatalf("header names %q", names)
			}
			seen[hn.Key] = true
		}
		// Whatever the framing, reading the body ends.
		n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, int64(len(data))+1))
		if n > int64(len(data)) || resp.ContentLength >= 0 && !head && n > resp.ContentLength {
			t.Fatalf("body of %d bytes from %d, length %d", n, len(data), resp.ContentLength)
		}
		again, _, err := readResponse(bufio.NewReaderSize(bytes.NewReader(writeResponseHead(resp)), 1<<16), 1<<16, req)
		if err != nil {
			t.Fatalf("written out again %q: %v", writeResponseHead(resp), err)
		}
		if again.StatusCode != resp.StatusCode || again.Proto != resp.Proto || again.Status != resp.Status ||
			!reflect.DeepEqual(again.Header, resp.Header) {
			t.Fatalf("round trip:\n%d %q %q %v\n%d %q %q %v", resp.StatusCode, resp.Proto, resp.Status, resp.Header,
				again.StatusCode, again.Proto, again.Status, again.Header)
		}
	})
}

func checkHeader(t *testing.T, h http.Header) {
	t.Helper()
	for k, vs := range h {
		if k == "" || strings.ContainsFunc(k, func(c rune) bool { return c <= ' ' || c == 0x7f || c == ':' }) {
			t.Fatalf("header name %q", k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") || strings.HasPrefix(v, " ") || strings.HasSuffix(v, " ") {
				t.Fatalf("header %s value %q", k, v)
			}
		}
	}
}

// writeResponseHead writes the head as it was read.
func writeResponseHead(resp *http.Response) []byte {
	var b bytes.Buffer
	b.WriteString(resp.Proto + " " + resp.Status + "\r\n")
	for k, vs := range resp.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}
