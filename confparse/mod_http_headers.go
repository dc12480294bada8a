package confparse

// mod_http_headers.go: ngx_http_headers_module — add_header and expires.

import (
	"net/http"
	"strings"
	"time"
)

// HeadersLoc is ngx_http_headers_module's configuration.
type HeadersLoc struct {
	// Add is the level's add_header list; an inner level with any
	// add_header replaces the outer list entirely, as in nginx.
	Add []*AddHeader `json:",omitempty"`
	// Trailers is the level's add_trailer list, inherited apart from
	// add_header's.
	Trailers []*AddHeader `json:",omitempty"`
	Expires  *Expires     `json:",omitempty"`
}

// AddHeader is one add_header.
type AddHeader struct {
	Name string
	// Key is Name as an http.Header key; Name is how it is sent.
	Key    string `json:"-"`
	Value  *Template
	Always bool `json:",omitempty"`
}

// Expires is the expires directive.
type Expires struct {
	Off      bool          `json:",omitempty"`
	Epoch    bool          `json:",omitempty"`
	Max      bool          `json:",omitempty"`
	Modified bool          `json:",omitempty"` // relative to the file's mtime
	Daily    bool          `json:",omitempty"` // "@15h30m": a time of day
	Dur      time.Duration `json:",omitempty"`
	Var      *Template     `json:",omitempty"` // a value with variables, evaluated per request
}

func init() {
	register("ngx_http_headers_module",
		&Directive{Name: "add_header", Ctx: httpMSL | CtxIfLocation, Args: Args23, set: setAddHeader},
		&Directive{Name: "add_trailer", Ctx: httpMSL | CtxIfLocation, Args: Args23, set: setAddHeader},
		&Directive{Name: "expires", Ctx: httpMSL | CtxIfLocation, Args: Args12, set: setExpires},
	)
}

func setAddHeader(b *builder, f *frame, s *Stmt) error {
	h := &AddHeader{Name: s.Args[0], Key: http.CanonicalHeaderKey(s.Args[0])}
	v, err := b.tmpl(s, s.Args[1])
	if err != nil {
		return err
	}
	h.Value = v
	if len(s.Args) == 3 {
		if s.Args[2] != "always" {
			return errf(s, "invalid parameter %q", s.Args[2])
		}
		h.Always = true
	}
	if s.Name == "add_trailer" {
		f.loc.Headers.Trailers = append(f.loc.Headers.Trailers, h)
	} else {
		f.loc.Headers.Add = append(f.loc.Headers.Add, h)
	}
	return nil
}

func setExpires(b *builder, f *frame, s *Stmt) error {
	if f.loc.Headers.Expires != nil {
		return dupErr(s)
	}
	e, err := ParseExpires(s.Args)
	if err != nil {
		return errf(s, "%q directive %s", s.Name, err.Error())
	}
	if e.Var != nil {
		if e.Var, err = b.tmpl(s, e.Var.Raw); err != nil {
			return err
		}
	}
	f.loc.Headers.Expires = e
	return nil
}

type expiresError string

func (e expiresError) Error() string { return string(e) }

// ParseExpires reads expires' arguments; it is also used at request time
// for a value that came from a variable. Errors are nginx's wording after
// `"expires" directive `.
func ParseExpires(args []string) (*Expires, error) {
	e := &Expires{}
	v := args[0]
	invalid := expiresError("invalid value")
	if len(args) == 2 {
		if v != "modified" {
			return nil, invalid
		}
		e.Modified = true
		v = args[1]
	} else {
		switch v {
		case "epoch":
			e.Epoch = true
			return e, nil
		case "max":
			e.Max = true
			return e, nil
		case "off":
			e.Off = true
			return e, nil
		}
	}
	if strings.Contains(v, "$") {
		e.Var = &Template{Raw: v}
		return e, nil
	}
	if strings.HasPrefix(v, "@") {
		if e.Modified {
			return nil, expiresError("daily time cannot be used with \"modified\" parameter")
		}
		e.Daily = true
		v = v[1:]
	}
	neg := false
	if strings.HasPrefix(v, "-") && !e.Daily {
		neg = true
		v = v[1:]
	} else if strings.HasPrefix(v, "+") && !e.Daily {
		v = v[1:]
	}
	d, ok := ParseTime(v, false)
	if !ok {
		return nil, invalid
	}
	if e.Daily && d > 24*time.Hour {
		return nil, expiresError("daily time value must be less than 24 hours")
	}
	if neg {
		d = -d
	}
	e.Dur = d
	return e, nil
}
