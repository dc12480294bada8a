package main

// fmt.go is "goproxy fmt [-w] [--check] [-p prefix] FILE...": each FILE
// is a main configuration (as for -c), formatted with every file it
// includes (package conffmt). Without -w the FILEs' formatted texts go to
// stdout, one after the other as gofmt prints them; -w rewrites the files
// that change, included ones too; --check lists them and exits 1 if there
// are any. Nothing is written unless every configuration loads and keeps
// its meaning.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"goproxy/conffmt"
	"goproxy/confparse"
)

const fmtUsage = `usage: %s fmt [-w] [--check] [-p prefix] FILE...
  -w         rewrite the files that change (included files too)
  --check    list the files that would change; exit 1 if there are any
  -p prefix  nginx's prefix, for the paths the configuration names
`

func fmtMain(args []string) int {
	var write, check bool
	var prefix string
	var names []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-w":
			write = true
		case a == "--check" || a == "-check":
			check = true
		case a == "-p" && i+1 < len(args):
			i++
			prefix = args[i]
		case strings.HasPrefix(a, "-p") && len(a) > 2:
			prefix = a[2:]
		case a == "-h" || a == "--help" || a == "-help":
			fmt.Fprintf(os.Stdout, fmtUsage, prog)
			return 0
		case a == "--":
			names = append(names, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			fmt.Fprintf(os.Stderr, "%s fmt: invalid option: \"%s\"\n"+fmtUsage, prog, a, prog)
			return 2
		default:
			names = append(names, a)
		}
	}
	if len(names) == 0 {
		fmt.Fprintf(os.Stderr, fmtUsage, prog)
		return 2
	}
	var all []conffmt.File // every file once, in the order read
	seen := map[string]bool{}
	var named [][]byte
	for _, n := range names {
		abs, err := filepath.Abs(n)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s fmt: %v\n", prog, err)
			return 1
		}
		files, err := conffmt.Config(confparse.Options{Path: abs, Prefix: prefix})
		if err != nil {
			fmtError(err)
			return 1
		}
		named = append(named, files[0].New)
		for _, f := range files {
			if !seen[f.Path] {
				seen[f.Path] = true
				all = append(all, f)
			}
		}
	}
	changed := 0
	for _, f := range all {
		if !f.Changed() {
			continue
		}
		changed++
		if check {
			fmt.Println(display(f.Path))
		}
		if write {
			if err := writeFile(f.Path, f.New); err != nil {
				fmtError(err)
				return 1
			}
		}
	}
	if !write && !check {
		for _, t := range named {
			os.Stdout.Write(t)
		}
	}
	if check && changed > 0 {
		return 1
	}
	return 0
}

// fmtError reports a refusal: a configuration error as nginx words it,
// "[emerg] unexpected "}" in /etc/nginx/nginx.conf:12".
func fmtError(err error) {
	var d *confparse.Diag
	if errors.As(err, &d) {
		fmt.Fprintf(os.Stderr, "%s fmt: %s\n", prog, d.String())
		return
	}
	fmt.Fprintf(os.Stderr, "%s fmt: %v\n", prog, err)
}

// display shortens a path under the working directory.
func display(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
	}
	return p
}

// writeFile replaces a file's text atomically: a temporary file in the
// same directory, with the old one's mode (and owner, where allowed),
// renamed over it. A symbolic link stays one: its target is rewritten.
func writeFile(path string, text []byte) error {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".fmt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err = tmp.Write(text); err == nil {
		err = tmp.Chmod(st.Mode().Perm())
	}
	if err == nil {
		chown(tmp, st)
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// chown gives f the owner of the file it replaces; without the right to,
// the file stays the writer's, as with any editor.
func chown(f *os.File, st os.FileInfo) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(s.Uid), int(s.Gid))
	}
}
