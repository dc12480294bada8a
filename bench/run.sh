#!/usr/bin/env bash
# Benchmarks goproxy against nginx in one run, on the same configuration
# and files: each server is pinned to CPU 0 (nginx with one worker,
# goproxy with GOMAXPROCS=1), wrk and the test upstream to CPU 1. Prints
# req/s and p99 latency for each workload and the goproxy/nginx ratios,
# and saves them as JSON (bench/results/<time>.json) so runs compare.
#
#   bench/run.sh [seconds-per-workload]      (needs nginx, wrk, taskset)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONNS=${CONNS:-32}
for c in nginx wrk taskset; do
	command -v $c >/dev/null || [ -x /usr/sbin/$c ] || { echo "bench: $c is needed" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d /tmp/goproxy-bench.XXXXXX)
chmod 755 "$work"
trap 'kill $(jobs -p) 2>/dev/null; sleep 0.3; rm -rf "$work"' EXIT
go build -o "$work/goproxy" ./cmd/goproxy

# Document tree: a 1 KiB file, a 1 MiB file, a 1000-entry directory,
# a 100 KiB text file for gzip.
mkdir -p "$work/root/dir1000"
head -c 768 /dev/urandom | base64 -w 0 > "$work/root/1k.txt"
head -c 1048576 /dev/urandom > "$work/root/1m.bin"
for i in $(seq 1 1000); do echo "$i" > "$work/root/dir1000/file-$i.txt"; done
{ yes "goproxy benchmark text line, compressible." || true; } | head -c 102400 > "$work/root/100k.txt"

UP=19100
cat > "$work/upstream.conf" <<CONF
worker_processes 1; daemon off; pid $work/up.pid; error_log $work/up.err;
events { worker_connections 4096; }
http { access_log off; server { listen 127.0.0.1:$UP; keepalive_requests 100000;
  location /1m { root $work/root; try_files /1m.bin =404; }
  location / { return 200 "hello from the upstream, a short proxied response body\n"; } } }
CONF
taskset -c 1 "$NGINX" -c "$work/upstream.conf" -p "$work/" &

conf() { # $1 = port, $2 = pid file
cat <<CONF
worker_processes 1; daemon off; pid $2; error_log $work/err-$1.log;
events { worker_connections 4096; }
http {
    access_log off;
    types { text/plain txt; application/octet-stream bin; }
    keepalive_requests 100000;
    upstream up { server 127.0.0.1:$UP; keepalive 64; }
    server {
        listen 127.0.0.1:$1;
        root $work/root;
        location /dir1000/ { autoindex on; }
        location /gz/ { alias $work/root/; gzip on; gzip_types text/plain; }
        location /proxy/ { proxy_pass http://up/; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
CONF
}
conf 19101 "$work/ng.pid" > "$work/nginx.conf"
conf 19102 "$work/gp.pid" > "$work/goproxy.conf"
taskset -c 0 "$NGINX" -c "$work/nginx.conf" -p "$work/" &
GOMAXPROCS=1 taskset -c 0 "$work/goproxy" -c "$work/goproxy.conf" -p "$work/" &
sleep 1

# run PORT PATH [header] -> "rps p99ms"
run() {
	local out hdr=()
	[ -n "${3:-}" ] && hdr=(-H "$3")
	out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "${hdr[@]}" "http://127.0.0.1:$1$2")
	local rps p99
	rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")
	echo "$rps ${p99:-0}"
}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
json="bench/results/$stamp.json"
printf '{"time":"%s","go":"%s","nginx":"%s","cpu":"%s","workloads":[' "$stamp" "$(go version | awk '{print $3}')" \
	"$("$NGINX" -v 2>&1 | awk -F/ '{print $2}')" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" > "$json"
printf '%-22s %12s %12s %7s %10s %10s\n' workload nginx_rps goproxy_rps ratio nginx_p99 goproxy_p99
first=1
for w in "1 KiB file|/1k.txt|" "1 MiB file|/1m.bin|" "autoindex 1000|/dir1000/|" \
	"gzip 100 KiB|/gz/100k.txt|Accept-Encoding: gzip" "proxy keepalive|/proxy/x|" "proxy 1 MiB|/proxy/1m|"; do
	IFS='|' read -r name path hdr <<<"$w"
	read -r nr np <<<"$(run 19101 "$path" "$hdr")"
	read -r gr gp <<<"$(run 19102 "$path" "$hdr")"
	ratio=$(awk -v a="$gr" -v b="$nr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	printf '%-22s %12s %12s %7s %9sms %9sms\n' "$name" "$nr" "$gr" "$ratio" "$np" "$gp"
	[ $first = 1 ] || printf ',' >> "$json"
	first=0
	printf '{"name":"%s","nginx_rps":%s,"goproxy_rps":%s,"ratio":%s,"nginx_p99_ms":%s,"goproxy_p99_ms":%s}' \
		"$name" "$nr" "$gr" "$ratio" "$np" "$gp" >> "$json"
done
echo "]}" >> "$json"
echo "saved $json"
