package confparse

// registry.go is the directive table, modelled on nginx's per-module
// command arrays: for every directive, the contexts it may appear in, how
// many arguments it takes, whether it opens a block, and how it is stored
// in the typed model. Every module file (mod_*.go) registers its own
// table; nothing else decides whether a directive is valid.

import "sort"

// Ctx is a set of contexts, like nginx's NGX_*_CONF bits.
type Ctx uint32

// The contexts a directive can be written in.
const (
	CtxMain           Ctx = 1 << iota // top level
	CtxEvents                         // events { }
	CtxHTTP                           // http { }
	CtxServer                         // server { } inside http
	CtxLocation                       // location { }
	CtxUpstream                       // upstream { }
	CtxIfServer                       // if { } in server
	CtxIfLocation                     // if { } in location
	CtxLimitExcept                    // limit_except { }
	CtxStream                         // stream { } and everything in it
	CtxMail                           // mail { } and everything in it
	CtxStreamServer                   // server { } inside stream
	CtxStreamUpstream                 // upstream { } inside stream
	CtxAny            Ctx = 1<<31 - 1

	// The usual combinations of nginx's modules.
	httpMSL  = CtxHTTP | CtxServer | CtxLocation
	httpSL   = CtxServer | CtxLocation
	httpMSLI = httpMSL | CtxIfLocation
	httpAll  = httpMSL | CtxIfServer | CtxIfLocation | CtxLimitExcept
)

var ctxNames = []struct {
	c    Ctx
	name string
}{
	{CtxMain, "main"}, {CtxEvents, "events"}, {CtxHTTP, "http"}, {CtxServer, "server"},
	{CtxLocation, "location"}, {CtxUpstream, "upstream"}, {CtxIfServer, "if in server"},
	{CtxIfLocation, "if in location"}, {CtxLimitExcept, "limit_except"},
	{CtxStream, "stream"}, {CtxMail, "mail"},
	{CtxStreamServer, "stream server"}, {CtxStreamUpstream, "stream upstream"},
}

// String lists the contexts, e.g. "http, server, location".
func (c Ctx) String() string {
	if c == CtxAny {
		return "any"
	}
	s := ""
	for _, n := range ctxNames {
		if c&n.c != 0 {
			if s != "" {
				s += ", "
			}
			s += n.name
		}
	}
	return s
}

// Args is the set of argument counts a directive accepts, like nginx's
// NGX_CONF_NOARGS / TAKE1 … / FLAG / 1MORE.
type Args uint16

// Argument counts.
const (
	Args0 Args = 1 << iota
	Args1
	Args2
	Args3
	Args4
	Args5
	Args6
	Args7
	ArgsFlag  // exactly one: on or off
	Args1More // one or more
	Args2More // two or more
	ArgsAny   // any number

	Args12   = Args1 | Args2
	Args13   = Args1 | Args3
	Args23   = Args2 | Args3
	Args123  = Args1 | Args2 | Args3
	Args1234 = Args1 | Args2 | Args3 | Args4
)

// accepts reports whether n arguments fit.
func (a Args) accepts(n int) bool {
	switch {
	case a&ArgsAny != 0:
		return true
	case a&ArgsFlag != 0:
		return n == 1
	case a&Args1More != 0:
		return n >= 1
	case a&Args2More != 0:
		return n >= 2
	case n <= 7:
		return a&(1<<n) != 0
	}
	return false
}

// Status says what goproxy does with a directive.
type Status int

// Directive statuses.
const (
	// Supported: parsed into the model and honoured.
	Supported Status = iota
	// NoOp: meaningful only to nginx's process model or I/O tuning;
	// accepted, validated and ignored.
	NoOp
	// Unsupported: a real nginx directive goproxy does not implement;
	// refused with an error naming it.
	Unsupported
)

func (s Status) String() string {
	return [...]string{"supported", "no-op", "unsupported"}[s]
}

// setFunc stores one statement into the model of the block around it.
type setFunc func(b *builder, f *frame, s *Stmt) error

// Directive is one row of a module's table.
type Directive struct {
	Name   string
	Ctx    Ctx
	Args   Args
	Block  bool // must be written with a block
	Status Status
	Module string // nginx module name, e.g. "ngx_http_core_module"
	set    setFunc
	// Note explains a no-op or a difference from nginx, for the docs.
	Note string
}

// registry maps a directive name to its rows; the same name may live in
// several modules with disjoint contexts ("server" in http and upstream).
var registry = map[string][]*Directive{}

// register adds a module's table.
func register(module string, ds ...*Directive) {
	for _, d := range ds {
		d.Module = module
		registry[d.Name] = append(registry[d.Name], d)
	}
}

// Directives returns every registered directive, sorted by name then
// module, for documentation and for "-V".
func Directives() []*Directive {
	completeRegistry()
	var out []*Directive
	for _, ds := range registry {
		out = append(out, ds...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Module < out[j].Module
	})
	return out
}

// lookup finds the row for a statement in a context and checks its shape,
// in the order nginx's ngx_conf_handler does.
func lookup(ctx Ctx, s *Stmt) (*Directive, error) {
	completeRegistry()
	rows, ok := registry[s.Name]
	if !ok {
		return nil, emergf(s, "unknown directive %q", s.Name)
	}
	var d *Directive
	for _, r := range rows {
		if r.Ctx&ctx != 0 {
			d = r
			break
		}
	}
	if d == nil {
		return nil, emergf(s, "%q directive is not allowed here", s.Name)
	}
	if d.Status == Unsupported {
		if d.Note != "" {
			return nil, emergf(s, "%q is not supported by goproxy (%s)", s.Name, d.Note)
		}
		return nil, emergf(s, "%q is not supported by goproxy", s.Name)
	}
	if !d.Block && s.IsBlock {
		return nil, emergf(s, "directive %q is not terminated by \";\"", s.Name)
	}
	if d.Block && !s.IsBlock {
		return nil, emergf(s, "directive %q has no opening \"{\"", s.Name)
	}
	if !d.Args.accepts(len(s.Args)) {
		return nil, emergf(s, "invalid number of arguments in %q directive", s.Name)
	}
	return d, nil
}

// errf is a handler's error at the statement's position.
func errf(s *Stmt, format string, a ...any) error { return emergf(s, format, a...) }

// dupErr is nginx's `"root" directive is duplicate`.
func dupErr(s *Stmt) error { return errf(s, "%q directive is duplicate", s.Name) }

// invalidValue is nginx's `"client_max_body_size" directive invalid value`.
func invalidValue(s *Stmt) error { return errf(s, "%q directive invalid value", s.Name) }
