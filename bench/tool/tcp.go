package main

// tcp.go holds the stream workloads' two ends: an echo server behind
// the proxy, and a load generator that reports as wrk does (so that
// run.sh reads both alike): "N requests in", "Requests/sec:" and the
// 99th percentile line.

import (
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// echo serves addr: every byte read is written back.
func echo(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

// tcpload runs conns clients against addr for the duration. With mode
// "conn" each request is a new connection that sends 64 bytes, reads
// them back and closes (the connection rate); otherwise mode is a size
// ("1m": 1 MiB) that each client's one connection echoes in turn (the
// throughput).
func tcpload(addr string, conns int, d time.Duration, mode string) {
	size := 64
	if mode != "conn" {
		size = 1 << 20
	}
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, size)
			var mine []time.Duration
			var c net.Conn
			for time.Now().Before(end) {
				t0 := time.Now()
				if c == nil {
					var err error
					if c, err = net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
						time.Sleep(10 * time.Millisecond)
						continue
					}
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				ok := exchange(c, payload, buf)
				if mode == "conn" || !ok {
					c.Close()
					c = nil
				}
				if ok {
					n.Add(1)
					mine = append(mine, time.Since(t0))
				}
			}
			if c != nil {
				c.Close()
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := time.Duration(0)
	if len(lat) > 0 {
		p99 = lat[len(lat)*99/100]
	}
	fmt.Printf("  %d requests in %s\n", n.Load(), d)
	fmt.Printf("     99%%  %.3fms\n", float64(p99.Microseconds())/1000)
	fmt.Printf("Requests/sec: %.2f\n", float64(n.Load())/d.Seconds())
}

// exchange writes payload and reads as many bytes back, concurrently (a
// 1 MiB write would fill both sockets' buffers before any echo is read).
func exchange(c net.Conn, payload, buf []byte) bool {
	werr := make(chan error, 1)
	go func() { _, err := c.Write(payload); werr <- err }()
	_, rerr := io.ReadFull(c, buf)
	return <-werr == nil && rerr == nil
}
