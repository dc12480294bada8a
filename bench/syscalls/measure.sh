#!/bin/bash
# measure.sh BIN NAME: syscalls per proxied keep-alive request of BIN
# (nginx or goproxy), under strace -c -f, after a warm-up that fills
# the upstream pool. Build the load tool first:
#   go build -o /tmp/loadbin bench/syscalls/load.go
BIN=$1; NAME=$2; N=${N:-2000}; LOAD=${LOAD:-/tmp/loadbin}
UP=127.0.0.1:$((20000 + RANDOM % 10000)); PORT=$((30000 + RANDOM % 10000))
D=$(mktemp -d /tmp/syscalls-$NAME.XXXXXX); mkdir -p $D/logs
cat > $D/nginx.conf <<C
worker_processes 1; master_process off; daemon off; error_log $D/logs/error.log;
pid $D/logs/nginx.pid;
events {}
http { access_log off; keepalive_requests 1000000;
  upstream up { server $UP; keepalive 16; keepalive_requests 1000000; }
  server { listen 127.0.0.1:$PORT;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
C
$LOAD up $UP & UPPID=$!
GOMAXPROCS=1 $BIN -p $D -c $D/nginx.conf & SPID=$!
sleep 1
$LOAD get 127.0.0.1:$PORT 200 >/dev/null   # warm: pooled upstream connection
strace -c -f -p $SPID -o $D/strace.txt & STPID=$!
sleep 1
$LOAD get 127.0.0.1:$PORT $N >/dev/null
kill -INT $STPID; wait $STPID 2>/dev/null
kill $SPID $UPPID; wait $SPID $UPPID 2>/dev/null
echo "== $NAME ($N requests): calls/request"
awk -v n=$N '$1 ~ /^[0-9.]+$/ && NF>=5 { name=$NF; if (name=="total") next; calls=$4; printf "%-16s %.2f\n", name, calls/n; tot+=calls } END { printf "%-16s %.2f\n", "total", tot/n }' $D/strace.txt
