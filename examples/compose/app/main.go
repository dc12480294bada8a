// Command app stands in for the Django application of the Compose
// example, so the example runs without pulling any image: like
// "collectstatic" it copies its static files into the shared volume at
// start, like "migrate" it waits for its database, and like Gunicorn it
// serves / and /api/... on :8000. Its answers name the container
// (hostname and addresses), so a test can tell which container goproxy
// reached.
//
//	app [serve]        the application
//	app db             the database stand-in (HTTP on :3306)
//	app health [URL]   exit 0 when URL answers below 400 (healthchecks)
package main

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

//go:embed static
var static embed.FS

func main() {
	log.SetFlags(0)
	mode := "serve"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "serve":
		serve()
	case "db":
		db()
	case "health":
		url := "http://127.0.0.1:8000/"
		if len(os.Args) > 2 {
			url = os.Args[2]
		}
		os.Exit(health(url))
	default:
		log.Fatalf("usage: app [serve|db|health [URL]]")
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func serve() {
	root := env("STATIC_ROOT", "/code/static")
	n, err := collectStatic(root)
	if err != nil {
		log.Fatalf("collectstatic: %v", err)
	}
	log.Printf("%d static files copied to '%s'.", n, root)
	dbURL := env("DB_URL", "")
	if dbURL != "" {
		waitFor(dbURL)
		log.Printf("database %s is ready", dbURL)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "not found", "path": r.URL.Path})
			return
		}
		writeJSON(w, http.StatusOK, describe(r, dbURL))
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		// ?ms=N delays the answer: a request in flight while goproxy stops.
		if ms, err := strconv.Atoi(r.URL.Query().Get("ms")); err == nil && ms > 0 {
			time.Sleep(time.Duration(min(ms, 10000)) * time.Millisecond)
		}
		writeJSON(w, http.StatusOK, describe(r, dbURL))
	})
	addr := env("LISTEN", ":8000")
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}

// collectStatic copies the embedded static files under root, each
// written to a temporary name and renamed, so goproxy never serves a
// half-written file from the shared volume.
func collectStatic(root string) (int, error) {
	n := 0
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(root, p[len("static/"):])
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst+".tmp", b, 0o644); err != nil {
			return err
		}
		n++
		return os.Rename(dst+".tmp", dst)
	})
	return n, err
}

// describe is the answer to every request: which container served it.
func describe(r *http.Request, dbURL string) map[string]any {
	host, _ := os.Hostname()
	out := map[string]any{"app": "composeapp", "method": r.Method, "path": r.URL.Path,
		"host": r.Host, "hostname": host, "ips": addresses()}
	if dbURL != "" {
		out["db"] = "ok"
		if health(dbURL) != 0 {
			out["db"] = "unreachable"
		}
	}
	return out
}

func addresses() []string {
	var ips []string
	as, _ := net.InterfaceAddrs()
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			ips = append(ips, n.IP.String())
		}
	}
	sort.Strings(ips)
	return ips
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// db stands in for the database: enough to be waited for, checked and
// reached only over db_network.
func db() {
	addr := env("LISTEN", ":3306")
	log.Printf("database stand-in listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})))
}

func waitFor(url string) {
	for i := 0; health(url) != 0; i++ {
		if i == 60 {
			log.Fatalf("database %s did not answer", url)
		}
		time.Sleep(time.Second)
	}
}

func health(url string) int {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return 1
	}
	return 0
}
