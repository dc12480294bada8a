package confparse

// variables.go knows nginx's variable names: which exist, and which
// goproxy can evaluate. A variable nginx has but goproxy cannot evaluate
// is refused at load time rather than silently left empty.

import (
	"strings"
	"sync/atomic"
)

// streamBuilding is set while a stream block is read: "changeable"
// then asks about stream variables. (Loads run one at a time per
// builder; the flag is only read during a walk of that block.)
var streamBuilding atomic.Bool

type varKind int

const (
	varUnknown     varKind = iota // nginx has no such variable
	varUnsupported                // nginx has it; goproxy does not evaluate it
	varBuiltin                    // evaluated by goproxy
	varDefined                    // defined by the configuration (set, map, captures)
)

// declaredVars and declaredPrefixes are the variables goproxy evaluates
// (a name ending in "_" is a family: $http_*). Each runtime module
// declares its own from its variable table (httpcore.RegisterVariables),
// at init, so this package holds no list of them: a program that loads
// configurations links the runtime that evaluates them.
var (
	declaredVars     = map[string]bool{}
	declaredPrefixes []string
)

// DeclareVariable records that a runtime module evaluates the variable
// name, or the family when name ends in "_". Only init functions call it.
func DeclareVariable(name string) {
	if strings.HasSuffix(name, "_") {
		declaredPrefixes = append(declaredPrefixes, name)
		return
	}
	declaredVars[name] = true
}

// DeclaredVariables lists the declared names and families (for tests
// that check every one evaluates).
func DeclaredVariables() []string {
	out := make([]string, 0, len(declaredVars)+len(declaredPrefixes))
	for n := range declaredVars {
		out = append(out, n)
	}
	return append(out, declaredPrefixes...)
}

// changeable reports whether a configuration may define the variable
// name (set, map, geo): any name no module evaluates, and the module
// variables nginx marks changeable. Others are "the duplicate variable".
func changeable(name string) bool {
	if streamBuilding.Load() {
		return !streamVars[name]
	}
	switch name {
	case "args", "limit_rate", "uid_reset", "msie", "modern_browser", "ancient_browser":
		return true
	}
	return !declaredVars[name]
}

// nginxOnlyVariables are nginx variables goproxy does not evaluate yet.
var nginxOnlyVariables = []string{
	"tcpinfo_rtt", "tcpinfo_rttvar",
	"tcpinfo_snd_cwnd", "tcpinfo_rcv_space", "upstream_queue_time",
	"upstream_trailer_", "invalid_referer",
	"http2",
}

var nginxOnlyVarSet = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range nginxOnlyVariables {
		m[v] = true
	}
	return m
}()

// knownVariable classifies a variable name.
func knownVariable(name string, h *HTTPConf) varKind {
	if h != nil && h.Vars[name] {
		return varDefined
	}
	if declaredVars[name] {
		return varBuiltin
	}
	for _, p := range declaredPrefixes {
		if strings.HasPrefix(name, p) {
			return varBuiltin
		}
	}
	if nginxOnlyVarSet[name] {
		return varUnsupported
	}
	for _, p := range nginxOnlyVariables {
		if strings.HasSuffix(p, "_") && strings.HasPrefix(name, p) {
			return varUnsupported
		}
	}
	return varUnknown
}
