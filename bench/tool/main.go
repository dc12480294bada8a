// Command tool is bench/run.sh's helper for what shell cannot measure
// well:
//
//	tool idle N ADDR       open N keep-alive connections, one request each,
//	                       hold them until stdin closes
//	tool startup ADDR CMD  run CMD, print milliseconds until ADDR accepts
//	tool rss PID           print the resident set of PID in KiB
//	tool compare OLD NEW   compare two bench/results/*.json runs
//	tool echo ADDR         a TCP echo server (the stream workloads' upstream)
//	tool tcpload ADDR CONNS SECONDS conn|1m
//	                       TCP load through a stream proxy, reported as wrk does
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: tool idle N ADDR | startup ADDR CMD... | rss PID | compare OLD.json NEW.json")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "idle":
		n, _ := strconv.Atoi(os.Args[2])
		idle(n, os.Args[3])
	case "startup":
		startup(os.Args[2], os.Args[3:])
	case "echo":
		echo(os.Args[2])
	case "tcpload":
		if len(os.Args) != 6 {
			fmt.Fprintln(os.Stderr, "usage: tool tcpload ADDR CONNS SECONDS conn|1m")
			os.Exit(2)
		}
		conns, _ := strconv.Atoi(os.Args[3])
		secs, _ := strconv.Atoi(os.Args[4])
		tcpload(os.Args[2], conns, time.Duration(secs)*time.Second, os.Args[5])
	case "rss":
		fmt.Println(rss(os.Args[2]))
	case "compare":
		if len(os.Args) != 4 {
			fmt.Fprintln(os.Stderr, "usage: tool compare OLD.json NEW.json")
			os.Exit(2)
		}
		if err := compare(os.Stdout, os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func idle(n int, addr string) {
	conns := make([]net.Conn, 0, n)
	req := []byte("GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
	buf := make([]byte, 4096)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "after %d connections: %v\n", i, err)
			break
		}
		c.Write(req)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Read(buf)
		conns = append(conns, c)
	}
	fmt.Println(len(conns))
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

func startup(addr string, cmd []string) {
	start := time.Now()
	c := exec.Command(cmd[0], cmd[1:]...)
	c.Stderr = os.Stderr
	if err := c.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for time.Since(start) < 10*time.Second {
		if conn, err := net.DialTimeout("tcp", addr, 10*time.Millisecond); err == nil {
			conn.Close()
			fmt.Printf("%.1f\n", float64(time.Since(start).Microseconds())/1000)
			c.Process.Signal(os.Interrupt)
			c.Wait()
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
	fmt.Println("-1")
	c.Process.Kill()
}

func rss(pid string) int {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "VmRSS:") {
			v, _ := strconv.Atoi(strings.Fields(sc.Text())[1])
			return v
		}
	}
	return -1
}
