// Package golden holds the one -update flag of the project's tests.
//
// Every test binary links it (internal/nginxtest imports it, the few
// packages that do not use nginxtest import it blank), so
// `go test ./... -update` is accepted by all packages, as the README
// says, and regenerates the golden files of those that have some.
package golden

import "flag"

// Update asks tests to rewrite their golden files under testdata/
// instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite golden files under testdata/ instead of comparing")
