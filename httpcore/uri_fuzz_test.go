package httpcore

import (
	"strings"
	"testing"
)

// FuzzNormalizeURI compares NormalizeURI with a second reading of the
// same rules (decode every escape, then resolve segments on a stack) and
// checks what a normalised URI may hold: no dot segment, no NUL, no
// double slash when merge_slashes is on; escaping it and normalising
// again gives it back. Seeds: testdata/fuzz/FuzzNormalizeURI.
func FuzzNormalizeURI(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string, merge bool) {
		// What the request line parser lets through: a path that starts
		// with "/" and holds no white space or control character.
		if !strings.HasPrefix(raw, "/") {
			raw = "/" + raw
		}
		if strings.ContainsFunc(raw, func(c rune) bool { return c <= ' ' || c == 0x7f }) {
			return
		}
		got, err := NormalizeURI(raw, merge)
		want, wantErr := refNormalize(raw, merge)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Fatalf("NormalizeURI(%q, %v) = %q, %v; reference %q, %v", raw, merge, got, err, want, wantErr)
		}
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "/") || strings.ContainsRune(got, 0) || merge && strings.Contains(got, "//") {
			t.Fatalf("NormalizeURI(%q) = %q", raw, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("NormalizeURI(%q) = %q keeps a dot segment", raw, got)
			}
		}
		if again, err := NormalizeURI(EscapeURI(got), merge); err != nil || again != got {
			t.Fatalf("NormalizeURI(EscapeURI(%q)) = %q, %v", got, again, err)
		}
	})
}

// refNormalize: decode, split at slashes, drop empty segments but the
// last with merge, then "." goes and ".." takes the segment before it
// (refused at the root); a final "." or ".." leaves a trailing slash.
func refNormalize(raw string, merge bool) (string, error) {
	var dec strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '%' {
			if i+2 >= len(raw) {
				return "", ErrBadURI
			}
			h, ok1 := unhex(raw[i+1])
			l, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 || h == 0 && l == 0 {
				return "", ErrBadURI
			}
			c, i = h<<4|l, i+2
		}
		dec.WriteByte(c)
	}
	parts := strings.Split(dec.String()[1:], "/")
	var stack []string
	for i, p := range parts {
		last := i == len(parts)-1
		switch {
		case p == "" && merge && !last:
		case p == "." || p == "..":
			if p == ".." {
				if len(stack) == 0 {
					return "", ErrBadURI
				}
				stack = stack[:len(stack)-1]
			}
			if last {
				stack = append(stack, "")
			}
		default:
			stack = append(stack, p)
		}
	}
	return "/" + strings.Join(stack, "/"), nil
}
