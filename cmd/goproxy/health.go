package main

// health.go is "goproxy health URL": exit 0 when the URL answers with a
// status below 400, 1 otherwise, so that a FROM-scratch image without
// curl can have a Docker/Compose healthcheck.

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func health(args []string) int {
	url := "http://127.0.0.1/"
	if len(args) > 0 {
		url = args[0]
	}
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s health: %v\n", prog, err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		fmt.Fprintf(os.Stderr, "%s health: %s answered %d\n", prog, url, resp.StatusCode)
		return 1
	}
	return 0
}
