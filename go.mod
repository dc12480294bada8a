module goproxy

go 1.26.8

require (
	github.com/klauspost/compress v1.20.4
	github.com/tufanbarisyildirim/gonginx v0.0.0-20260220081509-8e17ce617db3
)
