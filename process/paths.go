package process

// paths.go is nginx's ngx_create_paths: the directories a worker writes
// into exist before it drops from root and belong to its user, so a
// cache under a root-made directory is not silently never written.

import (
	"fmt"
	"os"
	"slices"
	"syscall"

	"goproxy/confparse"
)

// ownPaths makes each directory goproxy writes files into — every
// *_cache_path and client_body_temp_path (request bodies spilled to
// disk; the default one too, as nginx makes its compiled-in paths) —
// with mode 0700 and gives it to "user", as nginx's master does, when
// running as root. The other *_temp_path are not made: goproxy writes
// nothing there (they are no-ops).
func ownPaths(cfg *confparse.Config) error {
	u := cfg.Main.User
	if u == nil || u.UID == 0 || os.Geteuid() != 0 || cfg.HTTP == nil {
		return nil
	}
	var dirs []string
	for _, z := range cfg.HTTP.CacheZones {
		dirs = append(dirs, z.Path)
	}
	cfg.EachLoc(func(l *confparse.Loc) {
		if tp := l.Core.ClientBodyTempPath; tp != nil {
			dirs = append(dirs, tp.Dir)
		}
	})
	slices.Sort(dirs)
	for _, d := range slices.Compact(dirs) {
		if err := ownDir(d, u.UID); err != nil {
			return &confparse.Diag{Level: confparse.LevelEmerg, Msg: err.Error()}
		}
	}
	return nil
}

func ownDir(dir string, uid int) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("mkdir() \"%s\" failed (%s)", dir, confparse.ErrnoText(err))
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("stat() \"%s\" failed (%s)", dir, confparse.ErrnoText(err))
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
		if err := os.Chown(dir, uid, -1); err != nil {
			return fmt.Errorf("chown(\"%s\", %d) failed (%s)", dir, uid, confparse.ErrnoText(err))
		}
	}
	if m := fi.Mode().Perm(); m&0o700 != 0o700 {
		if err := os.Chmod(dir, m|0o700); err != nil {
			return fmt.Errorf("chmod() \"%s\" failed (%s)", dir, confparse.ErrnoText(err))
		}
	}
	return nil
}
