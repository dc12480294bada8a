//go:build ignore

// load: "up ADDR" serves a keep-alive "hello"; "get ADDR N" sends N
// keep-alive GETs on one connection, sequentially.
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	switch os.Args[1] {
	case "up":
		ln, _ := net.Listen("tcp", os.Args[2])
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						c.Close()
						return
					}
					io.Copy(io.Discard, r.Body)
					c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n"))
				}
			}()
		}
	case "get":
		n, _ := strconv.Atoi(os.Args[3])
		c, err := net.Dial("tcp", os.Args[2])
		if err != nil {
			panic(err)
		}
		br := bufio.NewReader(c)
		req := []byte("GET /x HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n")
		for i := 0; i < n; i++ {
			c.Write(req)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				panic(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		fmt.Println("ok", n)
	}
}
