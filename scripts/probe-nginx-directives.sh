#!/usr/bin/env bash
# Asks the installed nginx which directives it knows and where each is
# allowed, by running "nginx -t" on one tiny config per directive and
# context. The output (name, contexts, block) is committed as
# confparse/nginx_directives.tsv: goproxy uses it to tell a real nginx
# directive it does not support from a typo. Regenerate after an nginx
# upgrade:  scripts/probe-nginx-directives.sh > confparse/nginx_directives.tsv
set -eu
command -v nginx >/dev/null || { echo "nginx is needed" >&2; exit 1; }
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
# Candidate names: every identifier-like run in the binary and each of its
# suffixes (the linker stores "root" inside a longer string ending so).
strings -n 3 "$(command -v nginx)" | grep -oE '[a-z][a-z0-9_]{2,40}' | sort -u |
	awk '{ for (i = 1; i <= length($0) - 2; i++) print substr($0, i) }' |
	grep -E '^[a-z]' | { cat; echo if; } | sort -u > "$dir/cand" # "if" is too short for strings
probe() { # $1 = config text; prints the emerg message or "ok"
	printf '%s\n' "$1" > "$dir/t.conf"
	out=$(nginx -t -q -c "$dir/t.conf" -e "$dir/err" -g "pid $dir/pid;" 2>&1 || true)
	msg=$(sed -n "s/^nginx: \[emerg\] //p" <<<"$out" | head -1)
	echo "${msg:-ok}"
}
ctxs=(main events http server location upstream if_server if_location limit_except)
wrap() { # $1 = context, $2 = statement
	case $1 in
	main) echo "events{} $2" ;;
	events) echo "events{ $2 }" ;;
	http) echo "events{} http{ $2 }" ;;
	server) echo "events{} http{ server{ $2 } }" ;;
	location) echo "events{} http{ server{ location /{ $2 } } }" ;;
	upstream) echo "events{} http{ upstream u{ server 127.0.0.1; $2 } }" ;;
	if_server) echo "events{} http{ server{ if (\$host) { $2 } } }" ;;
	if_location) echo "events{} http{ server{ location /{ if (\$host) { $2 } } } }" ;;
	limit_except) echo "events{} http{ server{ location /{ limit_except GET { $2 } } } }" ;;
	esac
}
printf 'name\tcontexts\tblock\n'
while read -r name; do
	m=$(probe "$(wrap http "$name;")")
	case $m in "unknown directive \"$name\""*) continue ;; esac
	allowed=() block=no
	for c in "${ctxs[@]}"; do
		m=$(probe "$(wrap "$c" "$name;")")
		case $m in
		*"is not allowed here"*) ;;
		*"has no opening"*) allowed+=("$c"); block=yes ;;
		*) allowed+=("$c") ;;
		esac
	done
	[ ${#allowed[@]} -gt 0 ] || continue
	(IFS=,; printf '%s\t%s\t%s\n' "$name" "${allowed[*]}" "$block")
done < "$dir/cand"
