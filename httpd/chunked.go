package httpd

// chunked.go decodes "Transfer-Encoding: chunked" with nginx's state
// machine (ngx_http_parse_chunked), for request bodies here and upstream
// responses in the proxy: what nginx accepts (a bare LF ending a line,
// extensions of any length, leading zeros in a size) is accepted, and what
// it refuses is refused as soon as the byte that breaks the rule arrives,
// rather than when a timeout ends the wait for data that was never coming
// (a size of 2^63 and more).

import (
	"bufio"
	"errors"
	"io"
	"math"
)

// ErrChunked is a chunked body that breaks the encoding's rules.
var ErrChunked = errors.New("invalid chunked encoding")

// ChunkTooLarge is a chunk that would take the body past its limit; Read
// is the data before it, Size the chunk's.
type ChunkTooLarge struct{ Read, Size int64 }

func (e *ChunkTooLarge) Error() string { return "chunked body too large" }

// maxChunkExcess bounds what a chunked body may carry besides data and
// its sizes: extensions, and the trailer section, which is read and
// dropped. nginx 1.22 sets no bound (a client could send an endless
// extension); a megabyte is far beyond any real use.
const maxChunkExcess = 1 << 20

// Chunked is the decoder's state; the zero value starts a body. It holds
// no buffer: bytes are taken from the caller's bufio.Reader as they come.
type Chunked struct {
	state  uint8
	size   int64 // the chunk's data left; while its size is read, the size so far
	data   int64 // data decoded so far
	excess int   // extension and trailer bytes so far
	// Max, when positive, refuses a chunk that would take the data past
	// it (client_max_body_size), before the chunk's data is read.
	Max int64
	err error
}

const (
	chStart                 = iota // the first digit of a size
	chSize                         // more digits
	chExtension                    // after the size: ";ext", spaces
	chSizeAlmostDone               // CR after the size line
	chData                         // the chunk's data
	chAfterData                    // CRLF after the data
	chAfterDataAlmostDone          // LF after that CR
	chLastExtension                // "0" then an extension
	chLastAlmostDone               // "0...CR", waiting for LF
	chTrailer                      // the start of a trailer line, or the final empty line
	chTrailerAlmostDone            // the final CR
	chTrailerLine                  // inside a trailer line
	chTrailerLineAlmostDone        // CR ending a trailer line
	chDone
)

// Done says the last chunk and the trailer section have been read.
func (d *Chunked) Done() bool { return d.state == chDone }

// Decode reads data into p, reading the framing from br as needed. It
// returns io.EOF once the body and its trailer section are consumed, so
// that br is at whatever follows (the next request); io.ErrUnexpectedEOF
// when br ends before; ErrChunked or *ChunkTooLarge for a bad body (and
// from then on).
func (d *Chunked) Decode(br *bufio.Reader, p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	for d.state != chData {
		if d.state == chDone {
			return 0, io.EOF
		}
		c, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if err := d.step(c); err != nil {
			d.err = err
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > d.size {
		p = p[:d.size]
	}
	n, err := br.Read(p)
	d.size -= int64(n)
	d.data += int64(n)
	if d.size == 0 {
		d.state = chAfterData
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// step advances the state machine by one framing byte.
func (d *Chunked) step(c byte) error {
	switch d.state {
	case chStart:
		v, ok := hexDigit(c)
		if !ok {
			return ErrChunked
		}
		d.size, d.state = v, chSize
	case chSize:
		// nginx's bound, checked before each byte: the size never
		// gets near overflowing.
		if d.size > math.MaxInt64/16 {
			return ErrChunked
		}
		if v, ok := hexDigit(c); ok {
			if d.size == 0 && v == 0 {
				return d.more() // leading zeros carry nothing
			}
			d.size = d.size*16 + v
			return nil
		}
		last := d.size == 0
		if done, err := d.endSizeLine(c, last); done {
			return err
		}
		if c != ';' && c != ' ' && c != '\t' {
			return ErrChunked
		}
		d.state = chExtension
		if last {
			d.state = chLastExtension
		}
	case chExtension, chLastExtension:
		if done, err := d.endSizeLine(c, d.state == chLastExtension); done {
			return err
		}
		return d.more()
	case chSizeAlmostDone:
		if c != '\n' {
			return ErrChunked
		}
		return d.startData()
	case chAfterData:
		switch c {
		case '\r':
			d.state = chAfterDataAlmostDone
		case '\n':
			d.state = chStart
		default:
			return ErrChunked
		}
	case chAfterDataAlmostDone:
		if c != '\n' {
			return ErrChunked
		}
		d.state = chStart
	case chLastAlmostDone:
		if c != '\n' {
			return ErrChunked
		}
		d.state = chTrailer
	case chTrailer:
		switch c {
		case '\r':
			d.state = chTrailerAlmostDone
		case '\n':
			d.state = chDone
		default:
			d.state = chTrailerLine
			return d.more()
		}
	case chTrailerAlmostDone:
		if c != '\n' {
			return ErrChunked
		}
		d.state = chDone
	case chTrailerLine:
		switch c {
		case '\r':
			d.state = chTrailerLineAlmostDone
		case '\n':
			d.state = chTrailer
		default:
			return d.more()
		}
	case chTrailerLineAlmostDone:
		if c != '\n' {
			return ErrChunked
		}
		d.state = chTrailer
	}
	return nil
}

// endSizeLine takes the CR or LF that ends a size line (after the size
// or its extensions); last is the zero-size chunk, followed by trailers.
// Any other byte is left to the caller (done false).
func (d *Chunked) endSizeLine(c byte, last bool) (done bool, err error) {
	switch c {
	case '\r':
		d.state = chSizeAlmostDone
		if last {
			d.state = chLastAlmostDone
		}
		return true, nil
	case '\n':
		if last {
			d.state = chTrailer
			return true, nil
		}
		return true, d.startData()
	}
	return false, nil
}

// startData ends a size line: the limit is checked on the size declared,
// as nginx does, so an oversized chunk is refused before its data.
func (d *Chunked) startData() error {
	if d.Max > 0 && d.size > d.Max-d.data {
		return &ChunkTooLarge{Read: d.data, Size: d.size}
	}
	d.state = chData
	return nil
}

// more counts an extension or trailer byte.
func (d *Chunked) more() error {
	d.excess++
	if d.excess > maxChunkExcess {
		return ErrChunked
	}
	return nil
}

func hexDigit(c byte) (int64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int64(c - '0'), true
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int64(c|0x20-'a') + 10, true
	}
	return 0, false
}
