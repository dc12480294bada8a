package stream

// limitconn.go is ngx_stream_limit_conn_module: sessions counted per
// key in a zone; over the limit, the session ends with 503 (unless
// dry run). Zones outlive a reload when their name stays.

import (
	"sync"

	"goproxy/confparse"
)

type connZone struct {
	conf   *confparse.LimitZone
	mu     sync.Mutex
	counts map[string]int
}

func (rt *Runtime) compileZones(prev *Runtime) {
	rt.zones = map[string]*connZone{}
	for _, z := range rt.cfg.LimitZones {
		if prev != nil {
			if o := prev.zones[z.Name]; o != nil {
				o.mu.Lock()
				o.conf = z
				o.mu.Unlock()
				rt.zones[z.Name] = o
				continue
			}
		}
		rt.zones[z.Name] = &connZone{conf: z, counts: map[string]int{}}
	}
}

func init() {
	RegisterVariables(map[string]Getter{
		"limit_conn_status": func(s *Session) (string, bool) {
			return s.limitStatus, s.limitStatus != ""
		},
	})
}

// limitConn counts the session in each of its zones; false means it was
// rejected.
func (s *Session) limitConn() bool {
	dry := s.conf.LimitConnDryRun != nil && *s.conf.LimitConnDryRun
	level := confparse.LevelError
	if s.conf.LimitConnLogLevel != nil {
		level = *s.conf.LimitConnLogLevel
	}
	for _, lc := range s.conf.LimitConn {
		z := s.srv.rt.zones[lc.Zone]
		if z == nil {
			continue
		}
		key := s.eval(z.conf.Key)
		if key == "" || len(key) > 255 {
			continue
		}
		z.mu.Lock()
		n := z.counts[key]
		if n >= lc.Max {
			z.mu.Unlock()
			if dry {
				s.limitStatus = "REJECTED_DRY_RUN"
				s.srv.log(level, "limiting connections, dry run, by zone \""+lc.Zone+"\", client: "+s.remoteAddr+", server: "+s.serverAddr+":"+s.serverPort)
				continue
			}
			s.limitStatus = "REJECTED"
			s.srv.log(level, "limiting connections by zone \""+lc.Zone+"\", client: "+s.remoteAddr+", server: "+s.serverAddr+":"+s.serverPort)
			s.status = 503
			return false
		}
		z.counts[key] = n + 1
		z.mu.Unlock()
		s.limitStatus = "PASSED"
		s.held = append(s.held, heldConn{z, key})
	}
	return true
}

type heldConn struct {
	z   *connZone
	key string
}

// releaseConns gives back the session's places in its zones.
func (s *Session) releaseConns() {
	for _, h := range s.held {
		h.z.mu.Lock()
		if h.z.counts[h.key]--; h.z.counts[h.key] <= 0 {
			delete(h.z.counts, h.key)
		}
		h.z.mu.Unlock()
	}
	s.held = nil
}
