// Package kubernetes holds the Kubernetes example manifests. This test is
// their schema check, so that they stay valid without a cluster: the
// kinds and API versions, the fields a Deployment and a Service require,
// probes that ask a port the container exposes, a ConfigMap that holds
// every key the volume names, and a conf.d that goproxy loads.
package kubernetes

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "goproxy/internal/golden" // accepts go test ./... -update

	"gopkg.in/yaml.v3"

	"goproxy/confparse"
)

type obj = map[string]any

// get walks a decoded manifest: keys for maps, ints for lists.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(obj)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string { s, _ := get(v, path...).(string); return s }
func list(v any, path ...any) []any { l, _ := get(v, path...).([]any); return l }

// load decodes every document of every manifest, by kind.
func load(t *testing.T) map[string]obj {
	files, _ := filepath.Glob("*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests")
	}
	want := map[string]string{"ConfigMap": "v1", "Service": "v1", "Deployment": "apps/v1"}
	name := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	byKind := map[string]obj{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc obj
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kind := str(doc, "kind")
			if api, ok := want[kind]; !ok || str(doc, "apiVersion") != api {
				t.Errorf("%s: kind %q apiVersion %q: want one of %v", f, kind, str(doc, "apiVersion"), want)
			}
			if !name.MatchString(str(doc, "metadata", "name")) {
				t.Errorf("%s: %s has no valid metadata.name", f, kind)
			}
			for k := range doc {
				if k != "apiVersion" && k != "kind" && k != "metadata" && k != "spec" && k != "data" {
					t.Errorf("%s: %s: unknown field %q", f, kind, k)
				}
			}
			if byKind[kind] != nil {
				t.Errorf("%s: a second %s", f, kind)
			}
			byKind[kind] = doc
		}
	}
	for kind := range want {
		if byKind[kind] == nil {
			t.Fatalf("no %s", kind)
		}
	}
	return byKind
}

// subset reports whether every label of a is in b.
func subset(a, b any) bool {
	am, _ := a.(obj)
	bm, _ := b.(obj)
	for k, v := range am {
		if bm[k] != v {
			return false
		}
	}
	return len(am) > 0
}

func TestManifests(t *testing.T) {
	m := load(t)
	dep, svc, cm := m["Deployment"], m["Service"], m["ConfigMap"]
	pod := get(dep, "spec", "template")

	if n, _ := get(dep, "spec", "replicas").(int); n < 2 {
		t.Errorf("replicas = %v, want 2 or more", get(dep, "spec", "replicas"))
	}
	labels := get(pod, "metadata", "labels")
	if !subset(get(dep, "spec", "selector", "matchLabels"), labels) {
		t.Error("the Deployment's selector does not match its pod labels")
	}
	if !subset(get(svc, "spec", "selector"), labels) {
		t.Error("the Service's selector does not match the pod labels")
	}

	// Container ports, by number and by name.
	ports := map[string]bool{}
	containers := list(pod, "spec", "containers")
	if len(containers) == 0 {
		t.Fatal("no containers")
	}
	for _, c := range containers {
		if str(c, "name") == "" || str(c, "image") == "" {
			t.Errorf("container without name or image: %v", c)
		}
		for _, p := range list(c, "ports") {
			n, _ := get(p, "containerPort").(int)
			if n < 1 || n > 65535 {
				t.Errorf("containerPort %v", get(p, "containerPort"))
			}
			ports[strconv.Itoa(n)] = true
			if name := str(p, "name"); name != "" {
				ports[name] = true
			}
		}
		for _, probe := range []string{"readinessProbe", "livenessProbe"} {
			cmd := list(c, probe, "exec", "command")
			if len(cmd) != 3 || (cmd[0] != "nginx" && cmd[0] != "goproxy") || cmd[1] != "health" {
				t.Errorf("%s: want exec [nginx health URL], got %v", probe, cmd)
				continue
			}
			u, _ := cmd[2].(string)
			mm := regexp.MustCompile(`^http://127\.0\.0\.1:(\d+)/`).FindStringSubmatch(u)
			if mm == nil || !ports[mm[1]] {
				t.Errorf("%s asks %q, not a container port", probe, u)
			}
		}
	}
	for _, p := range list(svc, "spec", "ports") {
		target := get(p, "targetPort")
		if n, ok := target.(int); ok {
			target = strconv.Itoa(n)
		}
		if s, _ := target.(string); !ports[s] {
			t.Errorf("Service targetPort %v is no container port", get(p, "targetPort"))
		}
	}

	// Volumes: mounts name them, the ConfigMap holds their keys.
	volumes := map[string]bool{}
	data, _ := get(cm, "data").(obj)
	for _, v := range list(pod, "spec", "volumes") {
		volumes[str(v, "name")] = true
		if get(v, "configMap") == nil {
			continue
		}
		if str(v, "configMap", "name") != str(cm, "metadata", "name") {
			t.Errorf("volume %s names ConfigMap %q", str(v, "name"), str(v, "configMap", "name"))
		}
		for _, it := range list(v, "configMap", "items") {
			if _, ok := data[str(it, "key")]; !ok {
				t.Errorf("volume %s: ConfigMap has no key %q", str(v, "name"), str(it, "key"))
			}
		}
	}
	for _, c := range containers {
		for _, vm := range list(c, "volumeMounts") {
			if !volumes[str(vm, "name")] || !strings.HasPrefix(str(vm, "mountPath"), "/") {
				t.Errorf("volumeMount %v", vm)
			}
		}
	}

	// conf.d loads in goproxy and listens on the container port.
	dir := t.TempDir()
	os.Mkdir(dir+"/conf.d", 0o755)
	for k, v := range data {
		s, _ := v.(string)
		if !strings.HasSuffix(k, ".conf") {
			t.Errorf("ConfigMap key %q: conf.d only includes *.conf", k)
		}
		for _, l := range regexp.MustCompile(`listen\s+(\d+)`).FindAllStringSubmatch(s, -1) {
			if !ports[l[1]] {
				t.Errorf("%s listens on %s, not a container port", k, l[1])
			}
		}
		os.WriteFile(filepath.Join(dir, "conf.d", k), []byte(s), 0o644)
	}
	main := "pid " + dir + "/pid;\nevents {}\nhttp {\n    include " + dir + "/conf.d/*.conf;\n}\n"
	os.WriteFile(dir+"/nginx.conf", []byte(main), 0o644)
	if _, err := confparse.Load(confparse.Options{Path: dir + "/nginx.conf", Prefix: dir + "/"}); err != nil {
		t.Errorf("conf.d does not load: %v", err)
	}
}
