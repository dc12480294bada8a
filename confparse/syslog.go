package confparse

// syslog.go reads the "syslog:" targets of error_log and access_log
// (nginx's ngx_syslog.c): "syslog:server=addr[,facility=f][,severity=s]
// [,tag=t][,nohostname]", with nginx's defaults and messages.

import (
	"net"
	"strconv"
	"strings"
)

// Syslog is one syslog target.
type Syslog struct {
	// Network is "udp" or "unixgram"; Addr is "ip:port" (the host
	// resolved when the configuration is read, as nginx does) or the
	// socket's path.
	Network, Addr string
	Facility      int // 0 (kern) to 23 (local7, the default)
	// Severity is what access_log lines are sent at (0 emerg .. 7 debug,
	// default 6, info); error_log lines carry their own level's.
	Severity   int
	Tag        string // default "nginx"
	NoHostname bool   `json:",omitempty"`
}

// syslogFacilities are the facility names in their code order.
var syslogFacilities = []string{"kern", "user", "mail", "daemon", "auth", "intern", "lpr", "news", "uucp",
	"clock", "authpriv", "ftp", "ntp", "audit", "alert", "cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

// parseSyslog reads the parameters after "syslog:".
func parseSyslog(s *Stmt, params string) (*Syslog, error) {
	sl := &Syslog{Facility: -1, Severity: -1}
	hasTag := false
	for p := range strings.SplitSeq(params, ",") {
		switch {
		case strings.HasPrefix(p, "server="):
			if sl.Addr != "" {
				return nil, errf(s, "duplicate syslog \"server\"")
			}
			if err := sl.setServer(s, p[7:]); err != nil {
				return nil, err
			}
		case strings.HasPrefix(p, "facility="):
			if sl.Facility >= 0 {
				return nil, errf(s, "duplicate syslog \"facility\"")
			}
			for i, n := range syslogFacilities {
				if n == p[9:] {
					sl.Facility = i
				}
			}
			if sl.Facility < 0 {
				return nil, errf(s, "unknown syslog facility %q", p[9:])
			}
		case strings.HasPrefix(p, "severity="):
			if sl.Severity >= 0 {
				return nil, errf(s, "duplicate syslog \"severity\"")
			}
			lv, ok := ParseLevel(p[9:])
			if !ok {
				return nil, errf(s, "unknown syslog severity %q", p[9:])
			}
			sl.Severity = SyslogSeverity(lv)
		case strings.HasPrefix(p, "tag="):
			if hasTag {
				return nil, errf(s, "duplicate syslog \"tag\"")
			}
			// RFC 3164: at most 32 alphanumeric characters.
			if len(p)-4 > 32 {
				return nil, errf(s, "syslog tag length exceeds 32")
			}
			for _, c := range p[4:] {
				if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
					return nil, errf(s, "syslog \"tag\" only allows alphanumeric characters and underscore")
				}
			}
			sl.Tag, hasTag = p[4:], true
		case p == "nohostname":
			sl.NoHostname = true
		default:
			return nil, errf(s, "unknown syslog parameter %q", p)
		}
	}
	if sl.Addr == "" {
		return nil, errf(s, "no syslog server specified")
	}
	if sl.Facility < 0 {
		sl.Facility = 23
	}
	if sl.Severity < 0 {
		sl.Severity = SyslogSeverity(LevelInfo)
	}
	if !hasTag {
		sl.Tag = "nginx"
	}
	return sl, nil
}

// setServer reads server=: "unix:path", or host[:port] (port 514).
func (sl *Syslog) setServer(s *Stmt, v string) error {
	if path, ok := strings.CutPrefix(v, "unix:"); ok {
		if path == "" {
			return errf(s, "no path in the unix domain socket in syslog server %q", v)
		}
		sl.Network, sl.Addr = "unixgram", path
		return nil
	}
	host, port, hasPort := splitHostPort(v)
	if !hasPort {
		port = "514"
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errf(s, "invalid port in syslog server %q", v)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return errf(s, "no host in syslog server %q", v)
	}
	if net.ParseIP(host) == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return errf(s, "host not found in syslog server %q", v)
		}
		host = ips[0].String()
	}
	sl.Network, sl.Addr = "udp", net.JoinHostPort(host, port)
	return nil
}

// SyslogSeverity is the syslog severity of an nginx level (emerg is 0).
func SyslogSeverity(l Level) int { return int(l - LevelEmerg) }
