package ssi_test

import (
	"strings"
	"testing"

	"goproxy/internal/nginxtest"
)

const conf = `events {}
http {
    access_log off;
    types { text/html html; text/plain txt; }
    server {
        listen 127.0.0.1:{{PORT0}};
        root {{ROOT}};
        location / { ssi on; }
        location /silent/ { ssi on; ssi_silent_errors on; alias {{ROOT}}/; }
        location /lm/ { ssi on; ssi_last_modified on; alias {{ROOT}}/; }
        location /txt/ { ssi on; ssi_types text/plain; alias {{ROOT}}/; }
        location /short/ { ssi on; ssi_value_length 8; alias {{ROOT}}/; }
        location /raw/ { alias {{ROOT}}/; }
        location /up/ { ssi on; proxy_buffering off; proxy_pass http://127.0.0.1:{{PORT1}}/; }
        location /ret { return 200 "r:$arg_a"; }
        location /ep/ { ssi on; error_page 404 /page.html; alias {{ROOT}}/; }
        location /sub/ { ssi on; alias {{ROOT}}/; }
    }
    server {
        listen 127.0.0.1:{{PORT1}};
        root {{ROOT}};
    }
}
`

// TestSSILikeNginx compares SSI pages with nginx: includes (relative,
// with arguments, escaped, proxied, nested, a missing one, set=, stubs),
// echo and its encodings, set with variables, if/elif/else with strings
// and regexes and captures, config errmsg, parse errors, silent errors,
// value length, headers with ssi_last_modified and ssi_types, HEAD.
func TestSSILikeNginx(t *testing.T) {
	p := nginxtest.Start(t, conf, nginxtest.Options{Ports: 2, Files: map[string]string{
		"page.html": `<h1><!--#echo var="arg_t" default="none" --></h1>` +
			`<!--#include virtual="part.html?a=1" -->|<!--#include virtual="/ret?a=$arg_t" -->|` +
			`<!--#include file="/up/part.html" -->|<!--#set var="v" value="x${arg_t}y" --><!--#echo var="v" -->|` +
			`<!--#if expr="$arg_t = /^(a+)(b)?$/" -->A<!--#echo var="1" -->:<!--#echo var="2" -->` +
			`<!--#elif expr="$arg_t != ok" -->NOTOK<!--#else -->OK<!--#endif -->|` +
			`<!--#include virtual="/ret" set="got" -->[<!--#echo var="got" -->]`,
		"part.html": `(part <!--#echo var="arg_a" --> <!--#echo var="v" default="-" -->)`,
		"enc.html": `<!--#set var="s" value="<a href='x?y=1&z'>\"q\" \$x \\n</a>" -->` +
			`<!--#echo var="s" -->|<!--#echo var="s" encoding="url" -->|<!--#echo var="s" encoding="none" -->|<!--#echo var="s" -->|` +
			`<!--#echo var="nonesuch" -->|<!--#echo var="nonesuch" default="" -->|<!--#echo var="request_method" -->`,
		"err.html": `a<!--#nosuch -->b<!--#echo -->c<!--#echo var="x" bad="1" -->d<!--#include -->e` +
			`<!--#config errmsg="[E]" --><!--#echo var= -->f<!--#echo var="a" var="b" -->g` +
			`<!--#else -->h<!--#set var="x" value="$" -->i<!--#if expr="$a ~ b" -->j<!--#endif -->k` +
			`<!--#echo var="x"x -->l<!-- plain comment --><!--#<!--#echo var="arg_t" -->m<!--#-->n`,
		"block.html": `<!--#block name="b" -->stub:<!--#echo var="arg_q" --><!--#endblock -->` +
			`1<!--#include virtual="/nope.html?q=2" stub="b" -->2<!--#include virtual="/part.html?a=3" stub="b" -->` +
			`3<!--#include virtual="/x" stub="nob" -->4`,
		"odd.html": `a<b<!c<!-d<!--e<<!--#set var="v" value="x\"y" -->[<!--#echo var="v" encoding="none" -->]` +
			`<!--# echo var='arg_a' -->|<!--#echo var="v" bad -->|<!--#bogus-->|<!--#echo var="v"--->x-->|<!--` + "\n" + `end<!-`,
		// wait="yes": nginx would otherwise run rel.html's include
		// before the set in the error page's SSI, as its subrequests
		// run side by side.
		"misc.html": `<!--#include virtual="/ep/none.html" wait="yes" -->|` +
			`<!--#include virtual="sub/rel.html" -->|<!--#echo var="uri" -->`,
		"rel.html":  `rel:<!--#echo var="uri" -->:<!--#include file="part.html?a=rel" -->`,
		"nest.html": `[<!--#include virtual="/page.html?t=aab" -->]`,
		"t.txt":     `t<!--#echo var="arg_t" -->t`,
		"esc.html":  `<!--#include virtual="/p%61rt.html" -->|<!--#include virtual="/../etc/passwd" -->`,
		"long.html": `<!--#set var="a" value="123456789" -->[<!--#echo var="a" -->]`,
		"cond.html": `<!--#if expr="ABC = abc" -->lower<!--#endif --><!--#if expr="" -->e<!--#else -->ne<!--#endif -->` +
			`<!--#if expr="\/x = /x" -->slash<!--#endif --><!--#if expr="$arg_t" --><!--#if expr="1" -->n<!--#endif -->`,
	}})
	for _, r := range []string{
		nginxtest.Get("/page.html"), nginxtest.Get("/page.html?t=aab"), nginxtest.Get("/page.html?t=ok"),
		nginxtest.Get("/page.html?t=q"), nginxtest.Get("/enc.html"), nginxtest.Get("/err.html?t=1"),
		nginxtest.Get("/silent/err.html"), nginxtest.Get("/block.html"), nginxtest.Get("/nest.html"),
		nginxtest.Get("/txt/t.txt?t=1"), nginxtest.Get("/t.txt?t=1"), nginxtest.Get("/esc.html"),
		nginxtest.Get("/short/long.html"), nginxtest.Get("/long.html"), nginxtest.Get("/cond.html"),
		nginxtest.Get("/cond.html?t=1"), nginxtest.Get("/odd.html?a=1"), nginxtest.Get("/up/odd.html?a=1"), nginxtest.Get("/lm/part.html"), nginxtest.Get("/raw/part.html"),
		nginxtest.Req("HEAD", "/page.html"), nginxtest.Get("/part.html", "Range: bytes=0-2"),
		"GET /page.html?t=ab HTTP/1.0\r\n\r\n", nginxtest.Get("/ep/none.html?t=aab"), nginxtest.Get("/misc.html"),
	} {
		p.Compare(t, r)
	}
	if log := p.Go.ErrorLog(); !strings.Contains(log, `invalid SSI command: "nosuch"`) {
		t.Errorf("error log lacks the invalid command line:\n%s", log)
	}
}
