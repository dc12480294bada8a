package entrypoint

// ipv6.go is 10-listen-on-ipv6-by-default.sh. The official image adds
// "listen [::]:80;" to its packaged default.conf when the container has
// IPv6. goproxy's packaged default.conf already has that line, so the
// step also works the other way: in a container without IPv6 it takes
// the line out, so that the server starts instead of failing to bind.
// Either way a default.conf the user changed is left alone.

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"regexp"
)

// packagedSum is the SHA-256 of conf/conf.d/default.conf without its
// IPv6 listen line (a test keeps it in step with the file).
const packagedSum = "c1f1e1276dc126b29470e323d1a9786e06f330f547245073710ffa8c4f29d19d"

var (
	listenV4 = regexp.MustCompile(`(?m)^    listen       (\d+);\n`)
	listenV6 = regexp.MustCompile(`(?m)^    listen  \[::\]:\d+;\n`)
)

// withoutV6 is a default.conf as it would be packaged without IPv6, on
// port 80 (the unprivileged image listens on 8080).
func withoutV6(b []byte) []byte {
	b = listenV6.ReplaceAll(b, nil)
	if m := listenV4.FindIndex(b); m != nil {
		b = append(append(append([]byte{}, b[:m[0]]...), "    listen       80;\n"...), b[m[1]:]...)
	}
	return b
}

func packaged(b []byte) bool {
	s := sha256.Sum256(withoutV6(b))
	return hex.EncodeToString(s[:]) == packagedSum
}

func listenIPv6(r *runner, me string) error {
	_, err := os.Stat(r.IfInet6)
	v6 := err == nil
	// say logs what the official script says; without IPv6 it says only
	// that, and goproxy adds a line when it changes the file.
	say := func(format string, a ...any) {
		if v6 {
			r.log(format, a...)
		}
	}
	if !v6 {
		r.log("%s: info: ipv6 not available", me)
	}
	conf := r.DefaultConf
	if st, err := os.Stat(conf); err != nil || !st.Mode().IsRegular() {
		say("%s: info: %s is not a file or does not exist", me, conf)
		return nil
	}
	if !writable(conf) {
		say("%s: info: can not modify %s (read-only file system?)", me, conf)
		return nil
	}
	b, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	has := listenV6.Match(b)
	if v6 && has {
		say("%s: info: IPv6 listen already enabled", me)
		return nil
	}
	if !v6 && !has {
		return nil
	}
	say("%s: info: Getting the checksum of %s", me, conf)
	if !packaged(b) {
		say("%s: info: %s differs from the packaged version", me, conf)
		return nil
	}
	if v6 {
		b = listenV4.ReplaceAll(b, []byte("    listen       $1;\n    listen  [::]:$1;\n"))
	} else {
		b = listenV6.ReplaceAll(b, nil)
	}
	if err := rewrite(conf, b); err != nil {
		return err
	}
	if v6 {
		r.log("%s: info: Enabled listen on IPv6 in %s", me, conf)
	} else {
		r.log("%s: info: Disabled listen on IPv6 in %s", me, conf)
	}
	return nil
}

// rewrite replaces a file's content in place, keeping its inode (it may
// be a bind-mounted file) and mode.
func rewrite(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
