package stream

// vartable.go is the stream variable table, in the style of httpcore's:
// stream variables are a namespace apart from http's (nginx keeps them
// in ngx_stream_variables.c, evaluated against a session, not a
// request), so each name is declared to confparse as a stream variable.

import (
	"os"
	"strconv"
	"strings"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
)

// A Getter evaluates a variable for a session; ok false is "not found".
type Getter func(s *Session) (v string, ok bool)

var vars = map[string]Getter{}

// RegisterVariables adds a module's table of stream variables.
func RegisterVariables(table map[string]Getter) {
	for n, g := range table {
		if _, dup := vars[n]; dup {
			panic("stream: variable $" + n + " registered twice")
		}
		vars[n] = g
		confparse.DeclareStreamVariable(n)
	}
}

var (
	hostname, _ = os.Hostname()
	pid         = strconv.Itoa(os.Getpid())
)

func init() {
	RegisterVariables(map[string]Getter{
		"remote_addr": func(s *Session) (string, bool) { return s.remoteAddr, true },
		"remote_port": func(s *Session) (string, bool) { return s.remotePort, true },
		"binary_remote_addr": func(s *Session) (string, bool) {
			if ip := ipOf(s.remoteAddr); ip != nil {
				if ip4 := ip.To4(); ip4 != nil {
					return string(ip4), true
				}
				return string(ip), true
			}
			return s.remoteAddr, true
		},
		"server_addr":    func(s *Session) (string, bool) { return s.serverAddr, true },
		"server_port":    func(s *Session) (string, bool) { return s.serverPort, true },
		"bytes_sent":     func(s *Session) (string, bool) { return strconv.FormatInt(s.bytesSent.Load(), 10), true },
		"bytes_received": func(s *Session) (string, bool) { return strconv.FormatInt(s.bytesReceived.Load(), 10), true },
		"session_time": func(s *Session) (string, bool) {
			return msecs(time.Since(s.start)), true
		},
		"status": func(s *Session) (string, bool) { return strconv.Itoa(s.status), true },
		"protocol": func(s *Session) (string, bool) {
			if s.udp {
				return "UDP", true
			}
			return "TCP", true
		},
		"connection":    func(s *Session) (string, bool) { return strconv.FormatUint(s.number, 10), true },
		"pid":           func(s *Session) (string, bool) { return pid, true },
		"hostname":      func(s *Session) (string, bool) { return hostname, true },
		"nginx_version": func(s *Session) (string, bool) { return httpcore.Version, true },
		"msec": func(s *Session) (string, bool) {
			now := time.Now()
			return strconv.FormatInt(now.Unix(), 10) + "." + pad3(now.Nanosecond()/1e6), true
		},
		"time_local": func(s *Session) (string, bool) {
			return time.Now().Format("02/Jan/2006:15:04:05 -0700"), true
		},
		"time_iso8601": func(s *Session) (string, bool) {
			return time.Now().Format("2006-01-02T15:04:05-07:00"), true
		},
		"upstream_addr":            upstreamVar(func(u *upstreamTry) string { return u.addr }),
		"upstream_bytes_sent":      upstreamVar(func(u *upstreamTry) string { return strconv.FormatInt(u.sent.Load(), 10) }),
		"upstream_bytes_received":  upstreamVar(func(u *upstreamTry) string { return strconv.FormatInt(u.received.Load(), 10) }),
		"upstream_connect_time":    upstreamVar(func(u *upstreamTry) string { return u.connectTime }),
		"upstream_first_byte_time": upstreamVar(func(u *upstreamTry) string { return u.firstByte }),
		"upstream_session_time":    upstreamVar(func(u *upstreamTry) string { return u.sessionTime }),
	})
}

// upstreamVar joins one value of every upstream tried, as nginx does:
// "a, b".
func upstreamVar(get func(*upstreamTry) string) Getter {
	return func(s *Session) (string, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.tries) == 0 {
			return "", false
		}
		parts := make([]string, len(s.tries))
		for i, u := range s.tries {
			parts[i] = get(u)
		}
		return strings.Join(parts, ", "), true
	}
}

func pad3(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", 3-len(s)) + s
}

// msecs is nginx's "%T.%03M": seconds with milliseconds.
func msecs(d time.Duration) string {
	ms := d.Milliseconds()
	return strconv.FormatInt(ms/1000, 10) + "." + pad3(int(ms%1000))
}

// Var evaluates a variable: the session's set values first.
func (s *Session) Var(name string) (string, bool) {
	s.mu.Lock()
	v, ok := s.setVars[name]
	s.mu.Unlock()
	if ok {
		return v, true
	}
	if f := s.srv.rt.funcs[name]; f != nil {
		return f(s), true
	}
	if g, ok := vars[name]; ok {
		return g(s)
	}
	return "", false
}

// eval renders a template for the session.
func (s *Session) eval(t *confparse.Template) string {
	if t.IsConst() {
		if len(t.Parts) == 1 {
			return t.Parts[0].Lit
		}
	}
	var b strings.Builder
	for _, p := range t.Parts {
		switch {
		case p.Var != "":
			v, _ := s.Var(p.Var)
			b.WriteString(v)
		case p.IsCap:
		default:
			b.WriteString(p.Lit)
		}
	}
	return b.String()
}
