#!/usr/bin/env bash
# Runs the PHP example: PHP-FPM on 127.0.0.1:9901 with a pool of its own
# (configuration and logs in a temporary directory), and goproxy on
# 127.0.0.1:8080 in front of it. Ctrl-C stops both.
#   examples/php/run.sh            (needs php-fpm: apt-get install php-fpm)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
fpm="$(command -v php-fpm || ls /usr/sbin/php-fpm* 2>/dev/null | tail -n 1 || true)"
if [ -z "$fpm" ]; then
	echo "php-fpm is not installed (Debian/Ubuntu: apt-get install php-fpm)" >&2
	exit 1
fi
tmp="$(mktemp -d)"
user=""
if [ "$(id -u)" = 0 ]; then
	user=$'user = nobody\ngroup = nogroup'
fi
cat >"$tmp/php-fpm.conf" <<CONF
[global]
error_log = $tmp/php-fpm.log
daemonize = no
[www]
$user
listen = 127.0.0.1:9901
pm = static
pm.max_children = 4
catch_workers_output = yes
CONF
args=(-F -n -y "$tmp/php-fpm.conf" -p "$tmp")
[ "$(id -u)" = 0 ] && args+=(-R)
"$fpm" "${args[@]}" &
fpm_pid=$!
trap 'kill "$fpm_pid" 2>/dev/null; wait "$fpm_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$repo"
echo "goproxy on http://127.0.0.1:8080/ (PHP-FPM pid $fpm_pid)" >&2
go run ./cmd/goproxy -p examples/php -c nginx.conf
