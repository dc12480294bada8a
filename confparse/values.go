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

// ParseTime reads nginx's time syntax: groups of a number and a unit,
// largest unit first, each at most once, optionally separated by spaces;
// a bare number at the end counts seconds. msec says nginx keeps the value
// in milliseconds: then "ms" is allowed and "y" and "M" are not, and the
// other way round for a value kept in seconds. Either way the value must
// fit 63 bits in its own unit; beyond what a Duration holds it saturates.
func ParseTime(s string, msec bool) (time.Duration, bool) {
	units := []struct {
		name string
		sec  int64
	}{
		{"y", 365 * 24 * 3600}, {"M", 30 * 24 * 3600}, {"w", 7 * 24 * 3600},
		{"d", 24 * 3600}, {"h", 3600}, {"m", 60}, {"s", 1}, {"ms", 0},
	}
	var total int64 // in ms when msec, else in seconds
	next := 0       // index of the largest unit still allowed
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
		unit, sec := s[j:k], int64(1)
		if unit != "" {
			found := false
			for u := next; u < len(units); u++ {
				if units[u].name == unit {
					sec, next, found = units[u].sec, u+1, true
					break
				}
			}
			if !found || (msec && (unit == "y" || unit == "M")) || (!msec && unit == "ms") {
				return 0, false
			}
		} else if k < len(s) {
			return 0, false // a bare number may only end the value
		}
		scale := sec
		if msec {
			scale = sec * 1000
			if unit == "ms" {
				scale = 1
			}
		}
		if n > (math.MaxInt64-total)/scale {
			return 0, false
		}
		total += n * scale
		seen = true
		i = k
	}
	if !seen {
		return 0, false
	}
	unit := time.Second
	if msec {
		unit = time.Millisecond
	}
	if total > int64(math.MaxInt64/unit) {
		return math.MaxInt64, true
	}
	return time.Duration(total) * unit, true
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
