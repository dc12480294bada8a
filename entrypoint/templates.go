package entrypoint

// templates.go is 20-envsubst-on-templates.sh: every *.template under
// /etc/nginx/templates becomes a file in /etc/nginx/conf.d with the
// environment's variables substituted — only variables that are defined
// (and match NGINX_ENVSUBST_FILTER), so nginx's own $host or $uri stay
// as they are. *.stream-template files go to stream-conf.d, and a stream
// block including them is appended to nginx.conf.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

var streamBlock = regexp.MustCompile(`\s*stream\s*\{`)

func templates(r *runner, me string) error {
	dir := envOr("NGINX_ENVSUBST_TEMPLATE_DIR", "/etc/nginx/templates")
	suffix := envOr("NGINX_ENVSUBST_TEMPLATE_SUFFIX", ".template")
	outDir := envOr("NGINX_ENVSUBST_OUTPUT_DIR", "/etc/nginx/conf.d")
	streamSuffix := envOr("NGINX_ENVSUBST_STREAM_TEMPLATE_SUFFIX", ".stream-template")
	streamDir := envOr("NGINX_ENVSUBST_STREAM_OUTPUT_DIR", "/etc/nginx/stream-conf.d")
	vars, err := definedVars(os.Getenv("NGINX_ENVSUBST_FILTER"))
	if err != nil {
		return err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil
	}
	if !writable(outDir) {
		r.log("%s: ERROR: %s exists, but %s is not writable", me, dir, outDir)
		return nil
	}
	var plain, stream []string
	walkFiles(dir, 0, func(p string) {
		switch name := filepath.Base(p); {
		case strings.HasSuffix(name, suffix):
			plain = append(plain, p)
		case strings.HasSuffix(name, streamSuffix):
			stream = append(stream, p)
		}
	})
	sort.Strings(plain)
	sort.Strings(stream)
	if err := render(r, me, dir, plain, suffix, outDir, vars); err != nil {
		return err
	}
	if len(stream) == 0 {
		return nil
	}
	if err := os.MkdirAll(streamDir, 0o755); err != nil {
		return err
	}
	if !writable(streamDir) {
		r.log("%s: ERROR: %s exists, but %s is not writable", me, dir, streamDir)
		return nil
	}
	if ok, err := addStreamBlock(r, me, streamDir); !ok || err != nil {
		return err
	}
	return render(r, me, dir, stream, streamSuffix, streamDir, vars)
}

// render writes each template, minus its suffix, at the same relative
// path under outDir.
func render(r *runner, me, dir string, files []string, suffix, outDir string, vars map[string]string) error {
	for _, t := range files {
		rel := strings.TrimPrefix(t, dir+"/")
		out := filepath.Join(outDir, strings.TrimSuffix(rel, suffix))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		r.log("%s: Running envsubst on %s to %s", me, t, out)
		b, err := os.ReadFile(t)
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, []byte(envsubst(string(b), vars)), 0o666); err != nil {
			return err
		}
	}
	return nil
}

// addStreamBlock makes nginx.conf include the stream output directory;
// it reports false when stream templates must not be rendered.
func addStreamBlock(r *runner, me, streamDir string) (bool, error) {
	conf := r.NginxConf
	b, err := os.ReadFile(conf)
	if err != nil {
		return false, err
	}
	if streamBlock.Match(b) {
		r.log("%s: %s contains a stream block; include %s/*.conf to enable stream templates", me, conf, streamDir)
		return true, nil
	}
	if !writable(conf) {
		r.log("%s: info: can not modify %s (read-only file system?)", me, conf)
		return false, nil
	}
	r.log("%s: Appending stream block to %s to include %s/*.conf", me, conf, streamDir)
	f, err := os.OpenFile(conf, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(f, "# added by %q on %q\nstream {\n  include %s/*.conf;\n}\n",
		me, time.Now().Format("Mon Jan _2 15:04:05 MST 2006"), streamDir)
	return true, f.Close()
}

// definedVars are the environment variables envsubst may replace: the
// defined ones whose names match filter (all when it is empty).
func definedVars(filter string) (map[string]string, error) {
	re, err := regexp.Compile(filter)
	if err != nil {
		return nil, fmt.Errorf("NGINX_ENVSUBST_FILTER: %v", err)
	}
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && re.MatchString(k) {
			vars[k] = v
		}
	}
	return vars, nil
}

// envsubst replaces $NAME and ${NAME} for the names in vars and leaves
// everything else — unknown names, ${NAME:-x}, a lone $ — untouched, as
// GNU envsubst does when given the list of names.
func envsubst(s string, vars map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i])
		s = s[i:]
		braced := len(s) > 1 && s[1] == '{'
		start := 1
		if braced {
			start = 2
		}
		n := start
		for n < len(s) && (s[n] == '_' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' ||
			n > start && s[n] >= '0' && s[n] <= '9') {
			n++
		}
		name, end := s[start:n], n
		if braced {
			if n >= len(s) || s[n] != '}' {
				name = ""
			}
			end++
		}
		if v, ok := vars[name]; ok && name != "" {
			b.WriteString(v)
			s = s[end:]
			continue
		}
		b.WriteByte('$')
		s = s[1:]
	}
}
