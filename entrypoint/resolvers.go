package entrypoint

// resolvers.go is 15-local-resolvers.envsh: with
// NGINX_ENTRYPOINT_LOCAL_RESOLVERS set, NGINX_LOCAL_RESOLVERS holds the
// container's name servers, ready for "resolver ${NGINX_LOCAL_RESOLVERS};"
// in a template (Docker's 127.0.0.11 on a user network).

import (
	"os"
	"strings"
)

func localResolvers(r *runner, me string) error {
	if os.Getenv("NGINX_ENTRYPOINT_LOCAL_RESOLVERS") == "" {
		return nil
	}
	b, err := os.ReadFile(r.ResolvConf)
	if err != nil {
		return err
	}
	return os.Setenv("NGINX_LOCAL_RESOLVERS", parseResolvers(string(b)))
}

// parseResolvers lists the nameserver lines' addresses, space-separated,
// IPv6 ones in brackets as nginx's resolver directive wants them.
func parseResolvers(conf string) string {
	var out []string
	for _, line := range strings.Split(conf, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		if strings.Contains(f[1], ":") {
			out = append(out, "["+f[1]+"]")
		} else {
			out = append(out, f[1])
		}
	}
	return strings.Join(out, " ")
}
