package confparse

// mod_stream_misc.go: the small stream modules — return, access, log
// and set.

import (
	"strconv"
	"strings"
)

func init() {
	register("ngx_stream_return_module",
		&Directive{Name: "return", Ctx: CtxStreamServer, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			srv := f.streamServer
			if srv.Return != nil || srv.ProxyPass != nil {
				return dupErr(s)
			}
			t, err := b.tmpl(s, s.Args[0])
			if err != nil {
				return err
			}
			srv.Return = t
			return nil
		}})
	register("ngx_stream_access_module",
		&Directive{Name: "allow", Ctx: ctxStreamMS, Args: Args1, set: setStreamAccess},
		&Directive{Name: "deny", Ctx: ctxStreamMS, Args: Args1, set: setStreamAccess})
	register("ngx_stream_log_module",
		&Directive{Name: "log_format", Ctx: CtxStream, Args: Args2More, set: setStreamLogFormat},
		&Directive{Name: "access_log", Ctx: ctxStreamMS, Args: Args1More, set: setStreamAccessLog},
		&Directive{Name: "open_log_file_cache", Ctx: ctxStreamMS, Args: Args1234, set: setStreamLogFileCache})
	register("ngx_stream_map_module",
		&Directive{Name: "map", Ctx: CtxStream, Args: Args2, Block: true, set: func(b *builder, f *frame, s *Stmt) error {
			m, err := parseMap(b, s)
			if err != nil {
				return err
			}
			b.streamDefined[m.Var] = true
			f.stream.Maps = append(f.stream.Maps, m)
			return nil
		}},
		&Directive{Name: "map_hash_max_size", Ctx: CtxStream, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum},
		&Directive{Name: "map_hash_bucket_size", Ctx: CtxStream, Args: Args1, Status: NoOp, Note: "nginx hash-table tuning", set: validateNum})
	register("ngx_stream_geo_module",
		&Directive{Name: "geo", Ctx: CtxStream, Args: Args12, Block: true, set: func(b *builder, f *frame, s *Stmt) error {
			g, err := parseGeo(b, s)
			if err != nil {
				return err
			}
			if len(g.Proxies) > 0 {
				return errf(s, "\"proxy\" is not allowed in stream geo")
			}
			b.streamDefined[g.Var] = true
			f.stream.Geos = append(f.stream.Geos, g)
			return nil
		}})
	register("ngx_stream_split_clients_module",
		&Directive{Name: "split_clients", Ctx: CtxStream, Args: Args2, Block: true, set: func(b *builder, f *frame, s *Stmt) error {
			sc, err := parseSplitClients(b, s)
			if err != nil {
				return err
			}
			b.streamDefined[sc.Var] = true
			f.stream.Splits = append(f.stream.Splits, sc)
			return nil
		}})
	register("ngx_stream_limit_conn_module",
		&Directive{Name: "limit_conn_zone", Ctx: CtxStream, Args: Args2, set: func(b *builder, f *frame, s *Stmt) error {
			z, err := parseLimitZone(b, s)
			if err != nil {
				return err
			}
			for _, o := range f.stream.LimitZones {
				if o.Name == z.Name {
					return errf(s, "duplicate zone %q", z.Name)
				}
			}
			f.stream.LimitZones = append(f.stream.LimitZones, z)
			return nil
		}},
		&Directive{Name: "limit_conn", Ctx: ctxStreamMS, Args: Args2, set: func(b *builder, f *frame, s *Stmt) error {
			n, err := strconv.Atoi(s.Args[1])
			if err != nil || n <= 0 || n > 65535 {
				return errf(s, "invalid number of connections %q", s.Args[1])
			}
			for _, o := range f.streamSrv.LimitConn {
				if o.Zone == s.Args[0] {
					return dupErr(s)
				}
			}
			f.streamSrv.LimitConn = append(f.streamSrv.LimitConn, &LimitConn{Zone: s.Args[0], Max: n})
			return nil
		}},
		&Directive{Name: "limit_conn_log_level", Ctx: ctxStreamMS, Args: Args1, set: slot(streamSrv(func(c *StreamSrv) **Level { return &c.LimitConnLogLevel }), limitLevelArg)},
		&Directive{Name: "limit_conn_dry_run", Ctx: ctxStreamMS, Args: ArgsFlag, set: slot(streamSrv(func(c *StreamSrv) **bool { return &c.LimitConnDryRun }), flagArg)},
	)
	register("ngx_stream_realip_module",
		&Directive{Name: "set_real_ip_from", Ctx: CtxStreamServer, Args: Args1, set: func(b *builder, f *frame, s *Stmt) error {
			if s.Args[0] == "all" {
				return errf(s, "invalid parameter %q", s.Args[0])
			}
			r, err := parseAccessRule(b, s)
			if err != nil {
				return err
			}
			f.streamServer.RealIPFrom = append(f.streamServer.RealIPFrom, r)
			return nil
		}})
	register("ngx_stream_ssl_preread_module",
		&Directive{Name: "ssl_preread", Ctx: ctxStreamMS, Args: ArgsFlag, set: slot(streamSrv(func(c *StreamSrv) **bool { return &c.SSLPreread }), flagArg)})
	register("ngx_stream_set_module",
		&Directive{Name: "set", Ctx: CtxStreamServer, Args: Args2, set: setStreamSet})
}

func setStreamAccess(b *builder, f *frame, s *Stmt) error {
	r, err := parseAccessRule(b, s)
	if err != nil {
		return err
	}
	f.streamSrv.Access = append(f.streamSrv.Access, r)
	return nil
}

func setStreamLogFormat(b *builder, f *frame, s *Stmt) error {
	return logFormat(b, s, f.stream.LogFormats)
}

func setStreamAccessLog(b *builder, f *frame, s *Stmt) error {
	if s.Args[0] == "off" {
		if len(s.Args) != 1 {
			return errf(s, "invalid parameter %q", s.Args[1])
		}
		f.streamSrv.AccessLogs = []*AccessLog{}
		return nil
	}
	al, err := b.accessLog(s, "", f.stream.LogFormats)
	if err != nil {
		return err
	}
	if f.streamSrv.AccessLogs == nil {
		f.streamSrv.AccessLogs = []*AccessLog{}
	}
	f.streamSrv.AccessLogs = append(f.streamSrv.AccessLogs, al)
	return nil
}

func setStreamLogFileCache(b *builder, f *frame, s *Stmt) error {
	if f.streamSrv.LogFileCache != nil {
		return dupErr(s)
	}
	c, err := parseLogFileCache(s)
	f.streamSrv.LogFileCache = c
	return err
}

func setStreamSet(b *builder, f *frame, s *Stmt) error {
	name := s.Args[0]
	if !strings.HasPrefix(name, "$") || len(name) == 1 {
		return errf(s, "invalid variable name %q", name)
	}
	name = name[1:]
	if streamVars[name] {
		return errf(s, "the duplicate %q variable", name)
	}
	t, err := b.tmpl(s, s.Args[1])
	if err != nil {
		return err
	}
	b.streamDefined[name] = true
	f.streamServer.Sets = append(f.streamServer.Sets, &StreamSet{Name: name, Value: t})
	return nil
}
