package confparse

// values.go converts nginx's value syntaxes (sizes, times, flags) into Go
// values, with nginx's limits, so the model holds no text to re-parse.

import (
	"math"
	"time"
)

// ParseSize reads "1024", "8k", "10m", "1g" (either case) as bytes.
func ParseSize(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	scale := int64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		scale, s = 1<<10, s[:len(s)-1]
	case 'm', 'M':
		scale, s = 1<<20, s[:len(s)-1]
	case 'g', 'G':
		scale, s = 1<<30, s[:len(s)-1]
	}
	n, ok := parseDecimal(s)
	if !ok || n > math.MaxInt64/scale {
		return 0, false
	}
	return n * scale, true
}

// parseDecimal reads a non-negative decimal integer.
func parseDecimal(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// ParseTime reads nginx's time syntax: groups of a number and a unit
// (ms s m h d w M y), largest unit first, each at most once, optionally
// separated by spaces; a bare number at the end counts seconds. msec says the value is
// kept in milliseconds by nginx, which limits it to 2^31-1 ms.
func ParseTime(s string, msec bool) (time.Duration, bool) {
	units := []struct {
		name string
		d    time.Duration
	}{
		{"y", 365 * 24 * time.Hour}, {"M", 30 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour},
		{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
		{"ms", time.Millisecond},
	}
	var total time.Duration
	next := 0 // index of the largest unit still allowed
	i := 0
	seen := false
	for i < len(s) {
		if s[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return 0, false
		}
		n, ok := parseDecimal(s[i:j])
		if !ok {
			return 0, false
		}
		k := j
		for k < len(s) && s[k] != ' ' && (s[k] < '0' || s[k] > '9') {
			k++
		}
		unit := s[j:k]
		d := time.Second
		if unit != "" {
			found := false
			for u := next; u < len(units); u++ {
				if units[u].name == unit {
					d, next, found = units[u].d, u+1, true
					break
				}
			}
			if !found {
				return 0, false
			}
		} else if k < len(s) {
			return 0, false // a bare number may only end the value
		}
		if n > int64(math.MaxInt64/d) {
			return 0, false
		}
		total += time.Duration(n) * d
		seen = true
		i = k
	}
	if !seen {
		return 0, false
	}
	if msec && total/time.Millisecond > math.MaxInt32 {
		return 0, false
	}
	return total, true
}

// parseFlag reads on/off as nginx's ngx_conf_set_flag_slot does.
func parseFlag(s *Stmt, v string) (bool, error) {
	switch lower(v) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, errf(s, "invalid value %q in %q directive, it must be \"on\" or \"off\"", v, s.Name)
}

// lower is an ASCII lower-casing that allocates only when needed.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
