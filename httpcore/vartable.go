package httpcore

// vartable.go is the registry of variables, modelled on nginx's
// per-module ngx_http_variable_t arrays: each module (core, upstream,
// ssl, proxy, limit_req, ...) registers a table of its variables from the
// file that evaluates them, so no central switch grows with every module.
// Registering also declares the names to confparse, which refuses a
// variable nobody evaluates when the configuration is loaded.

import (
	"strings"

	"goproxy/confparse"
)

// A Getter evaluates a variable for a request. name is the variable's
// name without "$" (a family's getter reads its suffix from it); ok false
// means "not found", which an access log writes as "-".
type Getter func(rq *Request, name string) (v string, ok bool)

// A Variable is one entry of a module's table. A Name ending in "_" is a
// family ($http_*, $arg_*): every name with that prefix.
type Variable struct {
	Name string
	Get  Getter
}

var (
	exactVars  = map[string]Getter{}
	prefixVars []Variable
)

// RegisterVariables adds a module's table. It is called from init, before
// any configuration is loaded; a name registered twice is a programming
// error.
func RegisterVariables(table []Variable) {
	for _, v := range table {
		if strings.HasSuffix(v.Name, "_") {
			prefixVars = append(prefixVars, v)
		} else {
			if _, dup := exactVars[v.Name]; dup {
				panic("httpcore: variable $" + v.Name + " registered twice")
			}
			exactVars[v.Name] = v.Get
		}
		confparse.DeclareVariable(v.Name)
	}
}

// lookupVariable finds the getter of a name: its own entry, else the
// family it belongs to.
func lookupVariable(name string) (Getter, bool) {
	if g, ok := exactVars[name]; ok {
		return g, true
	}
	for _, v := range prefixVars {
		if strings.HasPrefix(name, v.Name) {
			return v.Get, true
		}
	}
	return nil, false
}

// isPrefixed reports whether name belongs to a registered family.
func isPrefixed(name string) bool {
	for _, v := range prefixVars {
		if strings.HasPrefix(name, v.Name) {
			return true
		}
	}
	return false
}
