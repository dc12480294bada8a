package mp4

// Millis reads a "start" or "end" argument, seconds with a fraction,
// as milliseconds: digits and at most one dot, any number of digits
// after it (Flash players send many) of which three count. -1 for
// anything else, an empty value, or one that overflows.
func Millis(v string) int64 {
	if v == "" {
		return -1
	}
	const cutoff, cutlim = maxOff / 10, maxOff % 10
	var n int64
	point, dot := 3, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '.' {
			if dot {
				return -1
			}
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			return -1
		}
		if point == 0 {
			continue
		}
		if n >= cutoff && (n > cutoff || int64(c-'0') > cutlim) {
			return -1
		}
		n = n*10 + int64(c-'0')
		if dot {
			point--
		}
	}
	for ; point > 0; point-- {
		if n > cutoff {
			return -1
		}
		n *= 10
	}
	return n
}

// Range is what a request's "start" and "end" (milliseconds, -1 when
// absent or invalid) ask for: ok false to send the file as it is,
// else the start and the length (0: to the end).
func Range(start, end int64) (from, length uint64, ok bool) {
	if end > 0 {
		start = max(start, 0)
		if end > start {
			length = uint64(end - start)
		}
	}
	if start < 0 {
		return 0, 0, false
	}
	return uint64(start), length, true
}
