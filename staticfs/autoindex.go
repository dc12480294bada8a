package staticfs

// autoindex.go is ngx_http_autoindex_module: directory listings in
// nginx's html, json, jsonp and xml formats, byte for byte.

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"goproxy/confparse"
	"goproxy/httpcore"
)

type dirEntry struct {
	name  string
	dir   bool
	file  bool // a regular file; neither is "other" (a dangling link)
	size  int64
	mtime int64 // seconds
}

func (h *Handler) autoindex(rq *httpcore.Request, dir string) {
	l, status := h.Cache.listing(dir, func() ([]dirEntry, int) { return h.readDir(rq, dir) })
	if status != 0 {
		rq.Error(status)
		return
	}
	format := *rq.Loc.Autoindex.Format
	callback := ""
	if format == "jsonp" {
		callback = httpcore.ArgVar(rq.Args, "callback")
		if callback == "" {
			format = "json"
		} else if !validCallback(callback) {
			h.logErr(rq, "error", `client sent invalid callback "`+callback+`"`)
			rq.Error(400)
			return
		}
	}
	exact, local := *rq.Loc.Autoindex.ExactSize, *rq.Loc.Autoindex.Localtime
	render := func() []byte {
		switch format {
		case "json":
			return autoindexJSON(l.entries, "")
		case "jsonp":
			return autoindexJSON(l.entries, callback)
		case "xml":
			return autoindexXML(l.entries)
		}
		return autoindexHTML(rq.URI, l.entries, exact, local)
	}
	var body []byte
	if callback != "" {
		body = render()
	} else {
		body = l.render(rq.URI+"\x00"+format+"\x00"+strconv.FormatBool(exact)+strconv.FormatBool(local), render)
	}
	ct := "text/html"
	switch format {
	case "json":
		ct = "application/json"
	case "jsonp":
		ct = "application/javascript"
	case "xml":
		ct = "text/xml; charset=utf-8"
	}
	hd := rq.Header()
	hd["Content-Type"] = contentTypeSlice(ct)
	rq.WriteHeader(200)
	if rq.R.Method != "HEAD" {
		rq.Write(body)
	}
}

// readDir lists a directory as nginx's autoindex does: names that start
// with "." hidden, the rest with their type, size and time, directories
// first and then by name in byte order. A non-zero status refuses.
func (h *Handler) readDir(rq *httpcore.Request, dir string) ([]dirEntry, int) {
	f, err := os.Open(dir)
	if err != nil {
		h.logErr(rq, "error", `opendir() "`+dir+`" failed (`+confparse.ErrnoText(err)+`)`)
		return nil, errStatus(err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		h.logErr(rq, "crit", `readdir() "`+dir+`" failed (`+confparse.ErrnoText(err)+`)`)
		return nil, 500
	}
	entries := make([]dirEntry, 0, len(names))
	for _, n := range names {
		if n == "" || n[0] == '.' {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat(dir+n, &st); err != nil {
			if err == syscall.EACCES {
				h.logErr(rq, "crit", `stat() "`+dir+n+`" failed (`+confparse.ErrnoText(err)+`)`)
				continue
			}
			// A dangling link (or a loop) is listed as itself.
			if err != syscall.ENOENT && err != syscall.ELOOP || syscall.Lstat(dir+n, &st) != nil {
				h.logErr(rq, "crit", `stat() "`+dir+n+`" failed (`+confparse.ErrnoText(err)+`)`)
				return nil, 500
			}
		}
		mode := st.Mode & syscall.S_IFMT
		entries = append(entries, dirEntry{name: n, dir: mode == syscall.S_IFDIR, file: mode == syscall.S_IFREG,
			size: st.Size, mtime: st.Mtim.Sec})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].dir != entries[j].dir {
			return entries[i].dir
		}
		return entries[i].name < entries[j].name
	})
	return entries, 0
}

// kind is the entry's type in the json and xml formats.
func (e *dirEntry) kind() string {
	switch {
	case e.dir:
		return "directory"
	case e.file:
		return "file"
	}
	return "other"
}

// entryTime is the time shown for an mtime: UTC, or with
// autoindex_localtime shifted by the current offset from UTC (nginx
// uses today's offset for every date); nginx's calendar starts in 1970.
func entryTime(sec int64, local bool) time.Time {
	if local {
		_, off := time.Now().Zone()
		sec += int64(off)
	}
	return time.Unix(max(sec, 0), 0).UTC()
}

// validCallback is nginx's check of a JSONP callback name.
func validCallback(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

const nameLen = 50

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func autoindexHTML(uri string, entries []dirEntry, exact, local bool) []byte {
	esc := httpcore.EscapeHTML(uri)
	b := make([]byte, 0, 256+len(entries)*160)
	b = append(b, "<html>\r\n<head><title>Index of "...)
	b = append(b, esc...)
	b = append(b, "</title></head>\r\n<body>\r\n<h1>Index of "...)
	b = append(b, esc...)
	b = append(b, "</h1><hr><pre><a href=\"../\">../</a>\r\n"...)
	for _, e := range entries {
		b = append(b, `<a href="`...)
		b = httpcore.AppendEscapedComponent(b, e.name)
		if e.dir {
			b = append(b, '/')
		}
		b = append(b, `">`...)
		name := e.name
		if e.dir {
			name += "/"
		}
		n := len(name)
		if n > nameLen {
			b = append(b, httpcore.EscapeHTML(name[:nameLen-3])...)
			b = append(b, "..&gt;</a>"...)
		} else {
			b = append(b, httpcore.EscapeHTML(name)...)
			b = append(b, "</a>"...)
		}
		pad := 1
		if n < nameLen {
			pad = nameLen - n + 1
		}
		for i := 0; i < pad; i++ {
			b = append(b, ' ')
		}
		t := entryTime(e.mtime, local)
		b = append(b, pad2(t.Day())...)
		b = append(b, '-')
		b = append(b, months[t.Month()-1]...)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(t.Year()), 10)
		b = append(b, ' ')
		b = append(b, pad2(t.Hour())...)
		b = append(b, ':')
		b = append(b, pad2(t.Minute())...)
		b = append(b, ' ')
		b = append(b, sizeField(e, exact)...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "</pre><hr></body>\r\n</html>\r\n"...)
	return b
}

// sizeField is the right-aligned size column: 19 wide in bytes, or 7
// wide rounded to K/M/G with autoindex_exact_size off; "-" for dirs.
func sizeField(e dirEntry, exact bool) string {
	width := 19
	if !exact {
		width = 7
	}
	var s string
	switch {
	case e.dir:
		s = "-"
	case exact:
		s = strconv.FormatInt(e.size, 10)
	default:
		size := e.size
		scale := ""
		switch {
		case size > 1024*1024*1024-1:
			size, scale = (size+512*1024*1024)/(1024*1024*1024), "G"
		case size > 1024*1024-1:
			size, scale = (size+512*1024)/(1024*1024), "M"
		case size > 9999:
			size, scale = (size+512)/1024, "K"
		}
		s = strconv.FormatInt(size, 10) + scale
	}
	if len(s) < width {
		s = strings.Repeat(" ", width-len(s)) + s
	}
	return s
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func autoindexJSON(entries []dirEntry, callback string) []byte {
	b := make([]byte, 0, 64+len(entries)*100)
	if callback != "" {
		b = append(b, "/* callback */\r\n"...)
		b = append(b, callback...)
		b = append(b, '(')
	}
	b = append(b, '[')
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\r\n{ \"name\":\""...)
		b = httpcore.AppendJSONEscaped(b, e.name)
		b = append(b, "\", \"type\":\""...)
		b = append(b, e.kind()...)
		b = append(b, "\", \"mtime\":\""...)
		b = entryTime(e.mtime, false).AppendFormat(b, "Mon, 02 Jan 2006 15:04:05 GMT")
		b = append(b, '"')
		if e.file {
			b = append(b, ", \"size\":"...)
			b = strconv.AppendInt(b, e.size, 10)
		}
		b = append(b, " }"...)
	}
	b = append(b, "\r\n]"...)
	if callback != "" {
		b = append(b, ");"...)
	}
	return b
}

func autoindexXML(entries []dirEntry) []byte {
	b := make([]byte, 0, 64+len(entries)*100)
	b = append(b, "<?xml version=\"1.0\"?>\r\n<list>\r\n"...)
	for _, e := range entries {
		b = append(b, '<')
		b = append(b, e.kind()...)
		b = append(b, " mtime=\""...)
		b = entryTime(e.mtime, false).AppendFormat(b, "2006-01-02T15:04:05Z")
		b = append(b, '"')
		if e.file {
			b = append(b, " size=\""...)
			b = strconv.AppendInt(b, e.size, 10)
			b = append(b, '"')
		}
		b = append(b, '>')
		b = append(b, httpcore.EscapeHTML(e.name)...)
		b = append(b, "</"...)
		b = append(b, e.kind()...)
		b = append(b, ">\r\n"...)
	}
	b = append(b, "</list>\r\n"...)
	return b
}
