package ssi

// strftime.go formats a time as C's strftime in the C locale does, for
// "config timefmt": nginx hands the format to the C library.

import (
	"strconv"
	"strings"
	"time"
)

var (
	days   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
)

func pad(n, width int, fill byte) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = string(fill) + s
	}
	return s
}

// strftime formats t; gmt names the zone "GMT", as glibc does for
// gmtime's result.
func strftime(f string, t time.Time, gmt bool) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' || i+1 == len(f) {
			b.WriteByte(c)
			continue
		}
		i++
		c = f[i]
		// glibc's flags and the E and O modifiers are read and the
		// plain conversion used.
		for (c == 'E' || c == 'O' || c == '-' || c == '_' || c == '0' || c == '^' || c == '#') && i+1 < len(f) {
			i++
			c = f[i]
		}
		b.WriteString(conv(c, t, gmt))
	}
	return b.String()
}

func conv(c byte, t time.Time, gmt bool) string {
	switch c {
	case 'a':
		return days[t.Weekday()][:3]
	case 'A':
		return days[t.Weekday()]
	case 'b', 'h':
		return months[t.Month()-1][:3]
	case 'B':
		return months[t.Month()-1]
	case 'c':
		return strftime("%a %b %e %H:%M:%S %Y", t, gmt)
	case 'C':
		return pad(t.Year()/100, 2, '0')
	case 'd':
		return pad(t.Day(), 2, '0')
	case 'D':
		return strftime("%m/%d/%y", t, gmt)
	case 'e':
		return pad(t.Day(), 2, ' ')
	case 'F':
		return strftime("%Y-%m-%d", t, gmt)
	case 'G':
		y, _ := t.ISOWeek()
		return strconv.Itoa(y)
	case 'g':
		y, _ := t.ISOWeek()
		return pad(y%100, 2, '0')
	case 'H':
		return pad(t.Hour(), 2, '0')
	case 'I':
		return pad((t.Hour()+11)%12+1, 2, '0')
	case 'j':
		return pad(t.YearDay(), 3, '0')
	case 'k':
		return pad(t.Hour(), 2, ' ')
	case 'l':
		return pad((t.Hour()+11)%12+1, 2, ' ')
	case 'm':
		return pad(int(t.Month()), 2, '0')
	case 'M':
		return pad(t.Minute(), 2, '0')
	case 'n':
		return "\n"
	case 'p':
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case 'P':
		if t.Hour() < 12 {
			return "am"
		}
		return "pm"
	case 'r':
		return strftime("%I:%M:%S %p", t, gmt)
	case 'R':
		return strftime("%H:%M", t, gmt)
	case 's':
		return strconv.FormatInt(t.Unix(), 10)
	case 'S':
		return pad(t.Second(), 2, '0')
	case 't':
		return "\t"
	case 'T':
		return strftime("%H:%M:%S", t, gmt)
	case 'u':
		return strconv.Itoa((int(t.Weekday())+6)%7 + 1)
	case 'U':
		return pad((t.YearDay()+6-int(t.Weekday()))/7, 2, '0')
	case 'V':
		_, w := t.ISOWeek()
		return pad(w, 2, '0')
	case 'w':
		return strconv.Itoa(int(t.Weekday()))
	case 'W':
		return pad((t.YearDay()+6-(int(t.Weekday())+6)%7)/7, 2, '0')
	case 'x':
		return strftime("%m/%d/%y", t, gmt)
	case 'X':
		return strftime("%H:%M:%S", t, gmt)
	case 'y':
		return pad(t.Year()%100, 2, '0')
	case 'Y':
		return strconv.Itoa(t.Year())
	case 'z':
		_, off := t.Zone()
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		return string(sign) + pad(off/3600, 2, '0') + pad(off%3600/60, 2, '0')
	case 'Z':
		if gmt {
			return "GMT"
		}
		name, _ := t.Zone()
		return name
	case '%':
		return "%"
	}
	return "%" + string(c)
}
