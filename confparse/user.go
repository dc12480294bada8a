package confparse

// user.go is the user directive (ngx_core_module): the account requests
// are served as when goproxy starts as root. As nginx does, the names
// are looked up while the configuration is read, only when running as
// root (otherwise the directive is ignored with nginx's warning), and
// without a user directive root drops to nginx's default, nobody with
// group nogroup (Debian's build). Package process does the drop.

import (
	"errors"
	"os"
	"os/user"
	"strconv"
)

// User is who serves requests: uid and gid with the supplementary
// groups initgroups(3) gives the user. UID 0 ("user root;") means no
// change.
type User struct {
	Name     string
	UID, GID int
	Groups   []int `json:",omitempty"`
}

// nginx's defaults (NGX_USER, NGX_GROUP) for a master started as root.
const (
	DefaultUser  = "nobody"
	DefaultGroup = "nogroup"
)

func init() {
	register("ngx_core_module",
		&Directive{Name: "user", Ctx: CtxMain, Args: Args12, set: setUser,
			Note: "when started as root, requests are served as this user once the listeners and logs are open; reloads keep working (see README)"})
}

func setUser(b *builder, f *frame, s *Stmt) error {
	if f.main.User != nil {
		return dupErr(s)
	}
	if b.noUser {
		return nil
	}
	if os.Geteuid() != 0 {
		b.warn(s, `the "user" directive makes sense only if the master process runs with super-user privileges, ignored`)
		return nil
	}
	group := s.Args[0]
	if len(s.Args) == 2 {
		group = s.Args[1]
	}
	u, err := lookupUser(s.Args[0], group)
	if err != nil {
		return errf(s, "%s", err.Error())
	}
	f.main.User = u
	return nil
}

// defaultUser is nginx's choice for root without a user directive.
func (b *builder) defaultUser() error {
	if b.cfg.Main.User != nil || b.noUser || os.Geteuid() != 0 {
		return nil
	}
	u, err := lookupUser(DefaultUser, DefaultGroup)
	if err != nil {
		return &Diag{Level: LevelEmerg, Msg: err.Error()}
	}
	b.cfg.Main.User = u
	return nil
}

// lookupUser resolves names as getpwnam(3) and getgrnam(3) do (names
// only, as nginx), with nginx's errors.
func lookupUser(name, group string) (*User, error) {
	pw, err := user.Lookup(name)
	if err != nil {
		return nil, errors.New(`getpwnam("` + name + `") failed`)
	}
	gr, err := user.LookupGroup(group)
	if err != nil {
		return nil, errors.New(`getgrnam("` + group + `") failed`)
	}
	u := &User{Name: name}
	u.UID, _ = strconv.Atoi(pw.Uid)
	u.GID, _ = strconv.Atoi(gr.Gid)
	// initgroups(name, group): the group given, and every group that
	// lists the user as a member. GroupIds adds the passwd file's
	// primary group, which initgroups does not.
	u.Groups = []int{u.GID}
	ids, _ := pw.GroupIds()
	for _, id := range ids {
		n, err := strconv.Atoi(id)
		if err != nil || id == pw.Gid || n == u.GID {
			continue
		}
		u.Groups = append(u.Groups, n)
	}
	return u, nil
}
