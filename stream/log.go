package stream

import (
	"goproxy/confparse"
	"goproxy/httpcore"
	"goproxy/logging"
)

// openLogs opens the constant targets of access logs (files, syslog
// sockets) at load, as nginx opens them when it reads the configuration,
// so that a bad path fails the load.
func (rt *Runtime) openLogs(logs []*confparse.AccessLog) error {
	for _, al := range logs {
		if !al.Path.IsConst() || rt.logs[al] != nil {
			continue
		}
		s, err := logging.OpenSink(al)
		if err != nil {
			return &confparse.Diag{Level: confparse.LevelEmerg, Msg: "open() \"" + al.Path.Raw + "\" failed (" + confparse.ErrnoText(err) + ")"}
		}
		rt.logs[al] = s
	}
	return nil
}

// log is the log phase: every access_log of the server.
func (s *Session) log() {
	rt := s.srv.rt
	for _, al := range s.conf.AccessLogs {
		if al.If != nil {
			if v := s.eval(al.If); v == "" || v == "0" {
				continue
			}
		}
		lf := rt.cfg.LogFormats[al.Format]
		if lf == nil {
			continue
		}
		line := s.formatLine(lf)
		if sink := rt.logs[al]; sink != nil {
			sink.Line(line)
			if lv, msg, failed := sink.Failed(); failed {
				s.srv.log(lv, msg)
				s.srv.log(confparse.LevelWarn, "send() to syslog failed while "+s.phaseText()+", client: "+s.remoteAddr+", server: "+s.serverAddr+":"+s.serverPort)
			}
			continue
		}
		path := s.eval(al.Path)
		var cache *logging.FileCache
		if c := s.conf.LogFileCache; c != nil {
			cache = rt.logCaches[c]
		}
		if err := logging.WriteVarLog(cache, path, append(line, '\n')); err != nil {
			s.srv.log(confparse.LevelCrit, "open() \""+path+"\" failed ("+confparse.ErrnoText(err)+")")
		}
	}
}

// phaseText is what nginx says the session was doing when it ended, in
// messages of the log phase.
func (s *Session) phaseText() string {
	if s.srv.conf.Return != nil {
		return "returning text"
	}
	return "proxying connection"
}

// formatLine renders a log_format with its escaping.
func (s *Session) formatLine(f *confparse.LogFormat) []byte {
	b := make([]byte, 0, 128)
	for _, p := range f.Format.Parts {
		switch {
		case p.Var != "":
			v, found := s.Var(p.Var)
			if !found {
				if f.Escape == "default" {
					b = append(b, '-')
				}
				continue
			}
			b = httpcore.AppendLogEscaped(b, v, f.Escape)
		case p.IsCap:
		default:
			b = append(b, p.Lit...)
		}
	}
	return b
}
