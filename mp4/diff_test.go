package mp4_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

const mp4Conf = `events {}
http {
    access_log off;
    types { video/mp4 mp4; text/html html; }
    server {
        listen 127.0.0.1:{{PORT}};
        root {{ROOT}};
        location /m/ {
            mp4;
            if ($arg_x) { }
        }
        location /k/ { alias {{ROOT}}/m/; mp4; mp4_start_key_frame on; }
        location /s/ { alias {{ROOT}}/m/; mp4; mp4_buffer_size 1k; mp4_max_buffer_size 2k; }
        location /b/ { alias {{ROOT}}/m/; mp4; mp4_buffer_size 200k; mp4_max_buffer_size 1k; }
        location /t/ { alias {{ROOT}}/m/; mp4; mp4_buffer_size 16; }
        location /u/ { alias {{ROOT}}/m/; mp4; mp4_buffer_size 100; }
        location /v/ { alias {{ROOT}}/m/; mp4; mp4_buffer_size 5000; }
        location /n/ { alias {{ROOT}}/m/; mp4; max_ranges 0; }
        location /plain/ { alias {{ROOT}}/m/; }
    }
}
`

// files are the test movies: the index last or first, 32- and 64-bit
// offsets and headers, audio with one size for all samples, a movie
// small enough to be served from memory, three tracks behind a 64-bit
// mdat header, and files that are no MP4.
func files() map[string]string {
	big := movie{timescale: 1000, tracks: []track{video(250, 12), audio(430, false)}}
	first := movie{timescale: 600, v1: true, moovFirst: true, co64: true, tracks: []track{video(200, 25), audio(345, true)}}
	first.tracks[0].v1 = true
	small := movie{timescale: 1000, moovFirst: true, tracks: []track{video(60, 10), audio(100, false)}}
	small.tracks[0].ctts = false
	sound := movie{timescale: 44100, tracks: []track{audio(300, true)}}
	three := movie{timescale: 90000, largeMdat: true, tracks: []track{audio(200, false), video(120, 30), audio(150, true)}}
	return map[string]string{
		"m/a.mp4": string(big.build()), "m/b.mp4": string(first.build()),
		"m/c.mp4": string(small.build()), "m/d.mp4": string(sound.build()),
		"m/e.mp4":   string(three.build()),
		"m/bad.mp4": strings.Repeat("no movie here ", 100), "m/dir/": "",
		"m/empty.mp4": "", "m/index.html": "index",
	}
}

// TestCutLikeNginx compares the cut files goproxy and nginx serve, byte
// for byte, over start and end values that fall on, between and around
// key frames and chunks, with and without mp4_start_key_frame, with
// ranges over the cut, conditional requests (the cut's entity tag) and
// the errors: a start past the end, an index over mp4_max_buffer_size,
// files that are not movies.
func TestCutLikeNginx(t *testing.T) {
	p := nginxtest.Start(t, mp4Conf, nginxtest.Options{Files: files()})
	queries := []string{"", "?start=0", "?start=1", "?start=2.5", "?start=0.48", "?start=3.99999", "?end=5",
		"?start=2&end=4.5", "?start=7.9", "?start=9.99", "?start=11", "?start=5&end=5.02", "?end=0.01",
		"?start=abc", "?start=1&end=0.5", "?start=.5", "?start=1.", "?START=3", "?start=", "?end=3&start=1.2345",
		"?start=1.5.2", "?start=-1", "?start=99999999999999999999", "?end=99999", "?start=4.04&end=6.52"}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		for _, loc := range []string{"/m/", "/k/"} {
			for _, q := range queries {
				p.Compare(t, nginxtest.Get(loc+name+".mp4"+q))
			}
		}
	}
	for _, r := range []string{
		nginxtest.Get("/m/a.mp4?start=3", "Range: bytes=0-99"), nginxtest.Get("/m/a.mp4?start=3", "Range: bytes=1000-"),
		nginxtest.Get("/m/a.mp4?start=3", "Range: bytes=-50"), nginxtest.Get("/m/a.mp4?start=3", "Range: bytes=0-1,5-6"),
		nginxtest.Get("/m/a.mp4", "Range: bytes=0-1,5-6"), nginxtest.Get("/m/b.mp4?start=0", "Range: bytes=0-1,5-6"),
		nginxtest.Get("/m/b.mp4?start=2", "Range: bytes=99999999-"),
		nginxtest.Get("/n/a.mp4?start=3", "Range: bytes=0-99"),
		nginxtest.Get("/m/a.mp4?start=3", `If-None-Match: "65ec3678-1"`),
		nginxtest.Get("/m/a.mp4?start=3", "If-Modified-Since: Sat, 09 Mar 2024 10:11:12 GMT"),
		nginxtest.Req("HEAD", "/m/a.mp4?start=3"), nginxtest.Req("POST", "/m/a.mp4?start=3"),
		nginxtest.Get("/m/a.mp4?start=3&x=1"),
		nginxtest.Get("/s/a.mp4?start=3"), nginxtest.Get("/s/b.mp4?start=3"), nginxtest.Get("/s/c.mp4?start=1"),
		nginxtest.Get("/s/b.mp4"), nginxtest.Get("/t/a.mp4?start=1"), nginxtest.Get("/t/b.mp4?start=1"),
		nginxtest.Get("/u/a.mp4?start=1"), nginxtest.Get("/u/b.mp4?start=1"), nginxtest.Get("/u/e.mp4?start=1"),
		nginxtest.Get("/v/a.mp4?start=1"), nginxtest.Get("/v/b.mp4?end=1"), nginxtest.Get("/v/c.mp4?start=1"),
		nginxtest.Get("/v/e.mp4?start=1"), nginxtest.Get("/b/a.mp4?start=3"), nginxtest.Get("/b/c.mp4?start=1"),
		nginxtest.Get("/m/bad.mp4?start=1"), nginxtest.Get("/m/bad.mp4"), nginxtest.Get("/m/empty.mp4?start=1"),
		nginxtest.Get("/m/missing.mp4?start=1"), nginxtest.Get("/m/dir?start=1"), nginxtest.Get("/m/?start=1"),
		nginxtest.Get("/plain/a.mp4?start=3"),
	} {
		p.Compare(t, r)
	}
	// An entity tag of a cut names its length: a conditional request
	// with it is answered 304 by both.
	ng, _ := p.Both(t, nginxtest.Get("/m/a.mp4?start=3"))
	if tag := ng.Header.Get("ETag"); tag != "" {
		p.Compare(t, nginxtest.Get("/m/a.mp4?start=3", "If-None-Match: "+tag))
		p.Compare(t, nginxtest.Get("/m/a.mp4?start=3", "Range: bytes=10-20", "If-Range: "+tag))
	}
	// Both logged the same refusals, in the same words.
	if ng, gp := refusals(p.Nginx.ErrorLog()), refusals(p.Go.ErrorLog()); ng != gp {
		t.Errorf("error logs differ:\n--- nginx:\n%s\n--- goproxy:\n%s", ng, gp)
	}
	for _, want := range []string{"mp4 start time exceeds file duration", "mp4 moov atom is too large:",
		"mp4 ftyp atom is too large:24", "no data between start time and end time", "open() "} {
		if !strings.Contains(refusals(p.Go.ErrorLog()), want) {
			t.Errorf("goproxy did not log %q", want)
		}
	}
}

var logLine = regexp.MustCompile(`\[(error|crit)\] \d+#\d+: \*\d+ (.*)`)

// refusals are a log's error and crit messages, the time, process and
// connection left out.
func refusals(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if m := logLine.FindStringSubmatch(l); m != nil {
			out = append(out, m[1]+" "+m[2])
		}
	}
	return strings.Join(out, "\n")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
