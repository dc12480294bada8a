#!/usr/bin/env bash
# Benchmarks goproxy against nginx in one run, on the same configuration
# and files. Each server is pinned to CPU 0 (nginx with one worker,
# goproxy with GOMAXPROCS=1); wrk and the test upstream run on CPU 1.
# Each workload runs ROUNDS times, nginx and goproxy alternately, and the
# medians are kept: this machine's speed drifts, alternation keeps the
# ratio fair. Besides req/s and p99 it reports CPU microseconds per
# request of each server (from /proc), which drifts much less.
# The SSI workload is a page with three includes (two files, one
# proxied), the sub_filter one a 4 KiB page with 64 replacements.
# Then the footprint: idle RSS, RSS with 10,000 idle keep-alive
# connections, -t and reload time of a 1000-location configuration, and
# time from start to listening. The HTTPS workloads use a TLS 1.3
# keep-alive connection per client (wrk, HTTP/1.1) and HTTP/2 by ALPN
# (h2load, from Debian's nghttp2-client: skipped when missing; h2load
# reports no percentiles, so its p99 column is its mean). The stream
# workloads go through a stream server to a TCP echo (bench/tool): 1 MiB
# echoed per request on kept connections, and a new connection per
# 64-byte request (the connection rate). The FastCGI
# workloads run a one-line PHP script on PHP-FPM (php-fpm), with
# fastcgi_keep_conn on (an upstream keepalive pool) and off; the uwsgi
# one a WSGI hello on uWSGI (uwsgi, uwsgi-plugin-python3); both backends
# run on CPU 1 and are skipped when missing.
#
#   bench/run.sh [seconds-per-run]     (needs nginx, wrk, taskset, openssl; installed
#   with apt-get when missing and run as root)
# ONLY=regex runs the workloads whose names match (e.g. ONLY='MiB').
# Results: a table on stdout and bench/results/<time>.json; compare two
# runs with: go run ./bench/tool compare OLD.json NEW.json
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-32}
IDLE=${IDLE:-10000}
# The tools, from Debian's packages when they are missing and we can.
missing=()
for c in nginx:nginx wrk:wrk taskset:util-linux openssl:openssl h2load:nghttp2-client; do
	command -v ${c%%:*} >/dev/null || [ -x /usr/sbin/${c%%:*} ] || missing+=("${c#*:}")
done
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "bench: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; } || true
	# The package starts its own nginx; the benchmark starts its own.
	service nginx stop >/dev/null 2>&1 || true
fi
for c in nginx wrk taskset openssl; do
	command -v $c >/dev/null || [ -x /usr/sbin/$c ] || { echo "bench: $c is needed" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ulimit -n 65536 2>/dev/null || true
work=$(mktemp -d /tmp/goproxy-bench.XXXXXX)
chmod 755 "$work"
cleanup() { kill $(jobs -p) 2>/dev/null || true; sleep 0.3; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/goproxy" ./cmd/goproxy
go build -o "$work/tool" ./bench/tool

# Document tree (the upstream's too: /cached/ caches its 1 KiB and
# 1 MiB answers): a 1 KiB file, a 1 MiB file, a 1000-entry directory,
# a 100 KiB text file for gzip.
mkdir -p "$work/root/dir1000" "$work/root/static"
head -c 768 /dev/urandom | base64 -w 0 > "$work/root/1k.txt"
cp "$work/root/1k.txt" "$work/root/static/page.txt"
head -c 1048576 /dev/urandom > "$work/root/1m.bin"
for i in $(seq 1 1000); do echo "$i" > "$work/root/dir1000/file-$i.txt"; done
{ yes "goproxy benchmark text line, compressible." || true; } | head -c 102400 > "$work/root/100k.txt"
# An SSI page with three includes (two files, one proxied) and a 4 KiB
# page for sub_filter.
mkdir -p "$work/root/ssi"
echo "<p>header part</p>" > "$work/root/ssi/head.html"
echo "<p>footer part</p>" > "$work/root/ssi/foot.html"
printf '<html><body>\n<!--# include file="head.html" -->\n<main>%s</main>\n<!--# include virtual="/proxy/x" -->\n<!--# include file="foot.html" -->\n</body></html>\n' \
	"$(head -c 600 /dev/urandom | base64 -w 0)" > "$work/root/ssi/page.html"
{ for i in $(seq 1 64); do echo "<p>line $i of the page, with goproxy in it and a link to http://example.com/</p>"; done; } > "$work/root/sub.html"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null

UP=19100
cat > "$work/upstream.conf" <<CONF
worker_processes 1; daemon off; pid $work/up.pid; error_log $work/up.err;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$UP; keepalive_requests 1000000;
  location /1m { root $work/root; try_files /1m.bin =404; }
  location /1k { root $work/root; try_files /1k.txt =404; }
  location / { return 200 "hello from the upstream, a short proxied response body\n"; } } }
CONF
taskset -c 1 "$NGINX" -c "$work/upstream.conf" -p "$work/" &
# The application servers, shared by both: PHP-FPM with a one-line
# script (enough children for both servers' kept connections: with
# fastcgi_keep_conn a child serves one connection until it closes) and
# uWSGI with a WSGI hello.
FPM=$(command -v php-fpm || ls /usr/sbin/php-fpm* 2>/dev/null | tail -n 1 || true)
mkdir -p "$work/php"
echo '<?php echo "hello from PHP\n";' > "$work/php/hello.php"
if [ -n "$FPM" ]; then
	fpm_user=""
	[ "$(id -u)" = 0 ] && fpm_user=$'user = nobody\ngroup = nogroup'
	printf '[global]\nerror_log = %s\ndaemonize = no\n[bench]\n%s\nlisten = 127.0.0.1:19103\nlisten.backlog = 4096\npm = static\npm.max_children = %s\n' \
		"$work/fpm.log" "$fpm_user" $((CONNS * 2 + 16)) > "$work/fpm.conf"
	fpm_args=(-F -n -y "$work/fpm.conf" -p "$work")
	[ "$(id -u)" = 0 ] && fpm_args+=(-R)
	taskset -c 1 "$FPM" "${fpm_args[@]}" &
fi
HAVE_UWSGI=
if command -v uwsgi >/dev/null && [ -e /usr/lib/uwsgi/plugins/python3_plugin.so ]; then
	printf 'def application(env, start_response):\n    start_response("200 OK", [("Content-Type", "text/plain")])\n    return [b"hello from WSGI\\n"]\n' > "$work/hello.py"
	taskset -c 1 uwsgi --plugin python3 --socket 127.0.0.1:19104 --wsgi-file "$work/hello.py" \
		--master --die-on-term --processes 4 --listen 1024 --disable-logging --logto "$work/uwsgi.log" &
	HAVE_UWSGI=1
fi
# The same server without main-level directives, for the footprint runs
# (which give daemon, pid and error_log with -g), on port $1.
bare() { sed -e '1s/.*/worker_processes 1;/' -e "s/127.0.0.1:$UP/127.0.0.1:$1/" "$work/upstream.conf" > "$work/bare-$1.conf"; echo "$work/bare-$1.conf"; }

# The stream workloads: a TCP echo server on CPU 1 behind a stream
# server on port+20 (nginx's stream module is Debian's dynamic one:
# skipped when missing).
STREAM_MOD=/usr/lib/nginx/modules/ngx_stream_module.so
HAVE_STREAM=
if [ -e "$STREAM_MOD" ]; then
	taskset -c 1 "$work/tool" echo 127.0.0.1:19105 &
	HAVE_STREAM=1
fi
stream_conf() { # $1 = port
	[ -n "$HAVE_STREAM" ] || return 0
	echo "stream { server { listen 127.0.0.1:$(($1 + 20)); proxy_pass 127.0.0.1:19105; } }"
}
conf() { # $1 = port, $2 = pid file
[ -z "$HAVE_STREAM" ] || echo "load_module $STREAM_MOD;"
cat <<CONF
worker_processes 1; worker_rlimit_nofile 40000; daemon off; pid $2; error_log $work/err-$1.log;
events { worker_connections 30000; }
$(stream_conf "$1")
http {
    access_log off;
    types { text/plain txt; application/octet-stream bin; }
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    upstream up { server 127.0.0.1:$UP; keepalive 64; }
    upstream fpm { server 127.0.0.1:19103; keepalive $CONNS; }
    proxy_cache_path $work/cache-$1 levels=1:2 keys_zone=bcache:1m;
    ssl_certificate $work/tls.crt;
    ssl_certificate_key $work/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    limit_req_zone \$binary_remote_addr zone=bench:10m rate=1000000r/s;
    map \$http_user_agent \$agent { default other; ~*wrk bench; ~*curl curl; }
    server {
        listen 127.0.0.1:$1;
        listen 127.0.0.1:$(($1 + 10)) ssl http2;
        root $work/root;
        location /dir1000/ { autoindex on; }
        location /ssi/ { ssi on; }
        location = /sub.html { sub_filter "example.com" "example.org"; sub_filter_once off; }
        location /gz/ { alias $work/root/; gzip on; gzip_types text/plain; }
        location /sendfile/ { alias $work/root/; sendfile on; }
        location /proxy/ { proxy_pass http://up/; proxy_http_version 1.1; proxy_set_header Connection ""; }
        location /php/ {
            include $PWD/conf/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $work/php/hello.php;
            fastcgi_pass 127.0.0.1:19103;
        }
        location /php-keep/ {
            include $PWD/conf/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $work/php/hello.php;
            fastcgi_keep_conn on;
            fastcgi_pass fpm;
        }
        location /wsgi/ {
            include $PWD/conf/uwsgi_params;
            uwsgi_pass 127.0.0.1:19104;
        }
        location /cached/ {
            proxy_pass http://up/; proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_cache bcache; proxy_cache_valid 10m;
        }
        location /heavy/ {
            limit_req zone=bench burst=1000 nodelay;
            set \$kind "\$agent-\$request_method";
            if (\$kind = "never") { return 403; }
            add_header X-Kind \$kind;
            rewrite ^/heavy/(.*)\$ /static/\$1 last;
        }
    }
}
CONF
}
conf 19101 "$work/ng.pid" > "$work/nginx.conf"
conf 19102 "$work/gp.pid" > "$work/goproxy.conf"
taskset -c 0 "$NGINX" -c "$work/nginx.conf" -p "$work/" &
GOMAXPROCS=1 taskset -c 0 "$work/goproxy" -c "$work/goproxy.conf" -p "$work/" &
sleep 1
NGW=$(pgrep -P "$(cat "$work/ng.pid")" | head -1)
GPP=$(cat "$work/gp.pid")

# run PORT PATH HEADER PID [https|h2] -> "rps p99ms cpu_us_per_request"
run() {
	local hdr=() out t0 t1
	[ -n "$3" ] && hdr=(-H "$3")
	t0=$(awk '{print $14+$15}' /proc/$4/stat)
	case "${5:-}" in
	https) out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "${hdr[@]}" "https://127.0.0.1:$(($1 + 10))$2") ;;
	stream) out=$(taskset -c 1 "$work/tool" tcpload "127.0.0.1:$(($1 + 20))" "$CONNS" "$DUR" "$2") ;;
	h2) out=$(taskset -c 1 h2load -t1 -c"$CONNS" -m"${H2STREAMS:-1}" -D"$DUR" "${hdr[@]}" "https://127.0.0.1:$(($1 + 10))$2") ;;
	*) out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "${hdr[@]}" "http://127.0.0.1:$1$2") ;;
	esac
	t1=$(awk '{print $14+$15}' /proc/$4/stat)
	awk -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" '
		/Requests\/sec/ { rps = $2 }
		/requests in/ { n = $1 }
		/^finished in/ { rps = $4 }
		/^requests:/ { n = $8 }
		/^time for request:/ { v = $6; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; p99 = v }
		$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; p99 = v }
		END { printf "%s %s %.2f\n", rps, p99 + 0, (n > 0 ? (t1 - t0) / hz * 1e6 / n : 0) }' <<<"$out"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
json="bench/results/$stamp.json"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit+changes"
printf '{"time":"%s","commit":"%s","go":"%s","nginx":"%s","cpu":"%s","seconds":%s,"rounds":%s,"workloads":[' "$stamp" "$commit" \
	"$(go version | awk '{print $3}')" "$("$NGINX" -v 2>&1 | awk -F/ '{print $2}')" \
	"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$DUR" "$ROUNDS" > "$json"
printf '%-20s %10s %10s %6s %9s %9s %8s %8s\n' workload nginx_rps goproxy_rps ratio ng_p99ms gp_p99ms ng_cpu_us gp_cpu_us
first=1
for w in "1 KiB file|/1k.txt|" "1 MiB file|/1m.bin|" "1 MiB, sendfile on|/sendfile/1m.bin|" "autoindex 1000|/dir1000/|" \
	"gzip 100 KiB|/gz/100k.txt|Accept-Encoding: gzip" "proxy keepalive|/proxy/x|" "proxy 1 MiB|/proxy/1m|" \
	"cached 1 KiB|/cached/1k|" "cached 1 MiB|/cached/1m|" "limit_req+map+rewrite|/heavy/page.txt|" "SSI page, 3 includes|/ssi/page.html|" "sub_filter 4 KiB page|/sub.html|" "HTTPS 1 KiB file|/1k.txt||https" "HTTP/2 1 KiB file|/1k.txt||h2" \
	"HTTPS proxy keepalive|/proxy/x||https" "HTTP/2 proxy keepalive|/proxy/x||h2" \
	"FastCGI php-fpm keep_conn|/php-keep/x||fpm" "FastCGI php-fpm|/php/x||fpm" "uwsgi WSGI hello|/wsgi/x||uwsgi" \
	"stream TCP echo 1 MiB|1m||stream" "stream TCP connections|conn||stream" \
	${EXTRA_WORKLOADS:-}; do
	IFS='|' read -r name path hdr kind <<<"$w"
	[ -z "${ONLY:-}" ] || [[ $name =~ $ONLY ]] || continue
	if [ "$kind" = h2 ] && ! command -v h2load >/dev/null; then
		echo "$name: skipped (no h2load: apt-get install nghttp2-client)"
		continue
	fi
	if [ "$kind" = fpm ] && [ -z "$FPM" ]; then
		echo "$name: skipped (no php-fpm: apt-get install php-fpm)"
		continue
	fi
	if [ "$kind" = uwsgi ] && [ -z "$HAVE_UWSGI" ]; then
		echo "$name: skipped (no uwsgi: apt-get install uwsgi uwsgi-plugin-python3)"
		continue
	fi
	if [ "$kind" = stream ] && [ -z "$HAVE_STREAM" ]; then
		echo "$name: skipped (no stream module: apt-get install libnginx-mod-stream)"
		continue
	fi
	case $kind in fpm | uwsgi) kind= ;; esac
	: > "$work/ng.runs"; : > "$work/gp.runs"
	for r in $(seq "$ROUNDS"); do
		run 19101 "$path" "$hdr" "$NGW" "$kind" >> "$work/ng.runs"
		run 19102 "$path" "$hdr" "$GPP" "$kind" >> "$work/gp.runs"
	done
	nr=$(cut -d' ' -f1 "$work/ng.runs" | median); np=$(cut -d' ' -f2 "$work/ng.runs" | median); nc=$(cut -d' ' -f3 "$work/ng.runs" | median)
	gr=$(cut -d' ' -f1 "$work/gp.runs" | median); gp=$(cut -d' ' -f2 "$work/gp.runs" | median); gc=$(cut -d' ' -f3 "$work/gp.runs" | median)
	ratio=$(awk -v a="$gr" -v b="$nr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	printf '%-20s %10.0f %10.0f %6s %9s %9s %8s %8s\n' "$name" "$nr" "$gr" "$ratio" "$np" "$gp" "$nc" "$gc"
	[ $first = 1 ] || printf ',' >> "$json"
	first=0
	printf '{"name":"%s","nginx_rps":%s,"goproxy_rps":%s,"ratio":%s,"nginx_p99_ms":%s,"goproxy_p99_ms":%s,"nginx_cpu_us":%s,"goproxy_cpu_us":%s}' \
		"$name" "$nr" "$gr" "$ratio" "$np" "$gp" "$nc" "$gc" >> "$json"
done
printf '],' >> "$json"

# Footprint.
rss_of() { # pids... -> KiB
	local t=0
	for p in "$@"; do t=$((t + $("$work/tool" rss "$p"))); done
	echo $t
}
echo
echo "footprint                  nginx    goproxy"
ng_idle=$(rss_of "$(cat "$work/ng.pid")" "$NGW")
gp_idle=$(rss_of "$GPP")
# A fresh goproxy for the idle figure: the one above has served load.
GOMAXPROCS=1 "$work/goproxy" -p "$work/" -g "daemon off; pid $work/fresh.pid; error_log $work/fresh.log;" \
	-c "$(bare 19212)" 2>/dev/null &
sleep 0.5
fresh=$(rss_of "$(cat "$work/fresh.pid")"); kill "$(cat "$work/fresh.pid")"
printf '%-22s %8s %10s KiB (goproxy fresh: %s KiB)\n' "RSS idle after load" "$ng_idle" "$gp_idle" "$fresh"
for s in "19101 ng" "19102 gp"; do
	set -- $s
	mkfifo "$work/hold.$2"
	"$work/tool" idle "$IDLE" "127.0.0.1:$1" < "$work/hold.$2" > "$work/idle.$2" &
	exec {fd}>"$work/hold.$2"
	for _ in $(seq 200); do [ -s "$work/idle.$2" ] && break; sleep 0.1; done
	if [ "$2" = ng ]; then ng_conn=$(rss_of "$(cat "$work/ng.pid")" "$NGW"); ng_open=$(cat "$work/idle.ng"); else gp_conn=$(rss_of "$GPP"); gp_open=$(cat "$work/idle.gp"); fi
	exec {fd}>&-
	wait $! 2>/dev/null || true
done
per_conn() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (n > 0 ? (a - b) / n : 0) }'; }
printf '%-22s %8s %10s KiB (%s / %s connections; KiB each: nginx %s, goproxy %s)\n' "RSS $IDLE idle conns" "$ng_conn" "$gp_conn" \
	"$ng_open" "$gp_open" "$(per_conn "$ng_conn" "$ng_idle" "$ng_open")" "$(per_conn "$gp_conn" "$gp_idle" "$gp_open")"

# A configuration of 100 servers with 10 locations each (1000 locations).
big="$work/big.conf"
{
	echo "daemon off; pid $work/big.pid; error_log $work/big.log notice; events {} http { access_log off;"
	for s in $(seq 1 100); do
		echo "server { listen 127.0.0.1:19200; server_name s$s.example; root $work/root;"
		for l in $(seq 1 10); do echo "location /app$l/ { try_files \$uri =404; }"; done
		echo "}"
	done
	echo "}"
} > "$big"
ms() { local a b; a=$(date +%s%N); "$@" >/dev/null 2>&1 || true; b=$(date +%s%N); echo $(((b - a) / 1000000)); }
ng_t=$(ms "$NGINX" -t -q -c "$big" -p "$work/")
gp_t=$(ms "$work/goproxy" -t -q -c "$big" -p "$work/")
printf '%-22s %8s %10s ms\n' "-t, 1000 locations" "$ng_t" "$gp_t"
"$work/goproxy" -c "$big" -p "$work/" 2>/dev/null &
sleep 0.5
a=$(date +%s%N); kill -HUP "$(cat "$work/big.pid")"
for _ in $(seq 2000); do grep -q "reconfiguring done" "$work/big.log" 2>/dev/null && break; sleep 0.001; done
b=$(date +%s%N); kill "$(cat "$work/big.pid")"
gp_reload=$(((b - a) / 1000000))
printf '%-22s %8s %10s ms\n' "reload, 1000 locations" "-" "$gp_reload"
ng_start=$("$work/tool" startup 127.0.0.1:19210 "$NGINX" -p "$work/" -g "daemon off; pid $work/s1.pid; error_log $work/s1.log;" -c "$(bare 19210)" 2>/dev/null || echo -1)
gp_start=$("$work/tool" startup 127.0.0.1:19211 "$work/goproxy" -p "$work/" -g "daemon off; pid $work/s2.pid; error_log $work/s2.log;" -c "$(bare 19211)" 2>/dev/null || echo -1)
printf '%-22s %8s %10s ms\n' "start to listening" "$ng_start" "$gp_start"
printf '"footprint":{"nginx_idle_kib":%s,"goproxy_idle_kib":%s,"goproxy_fresh_kib":%s,"idle_conns":%s,"nginx_conns_kib":%s,"goproxy_conns_kib":%s,"nginx_t_ms":%s,"goproxy_t_ms":%s,"goproxy_reload_ms":%s,"nginx_start_ms":%s,"goproxy_start_ms":%s}}\n' \
	"$ng_idle" "$gp_idle" "$fresh" "$IDLE" "$ng_conn" "$gp_conn" "$ng_t" "$gp_t" "$gp_reload" "$ng_start" "$gp_start" >> "$json"
echo "saved $json"
