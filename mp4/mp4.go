// Package mp4 is ngx_http_mp4_module's cut of an MP4 file: the movie
// index (moov) is read, its sample tables are cropped to the start and
// end times asked for, the chunk offsets are moved, and the result is
// ftyp, the new moov and an mdat holding the media data of the kept
// samples. Players seek into a file served this way without reading
// what comes before the start; nginx's output is the specification, to
// the byte, including its quirks with unusual files.
package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"goproxy/confparse"
)

// Options is one request's cut and the location's settings.
type Options struct {
	// Start and Length are milliseconds; Length 0 keeps everything
	// after Start.
	Start, Length uint64
	// BufferSize is the first read (mp4_buffer_size); an index larger
	// than it and than MaxBufferSize is refused (mp4_max_buffer_size).
	BufferSize, MaxBufferSize int64
	// StartKeyFrame keeps the samples from the key frame before Start
	// (mp4_start_key_frame).
	StartKeyFrame bool
}

// Error is a file nginx's module refuses: the request fails with 500
// and Msg is written to the error log at Level.
type Error struct{ Level, Msg string }

func (e *Error) Error() string { return e.Msg }

// Result is the cut file: Head (ftyp, moov, the mdat header) from
// memory, then Len bytes of the original file from Off.
type Result struct {
	Head     [][]byte
	Off, Len int64
	// Size is the whole length, the response's Content-Length.
	Size int64
}

// Slice calls mem and file, in order, for the parts of the cut file
// that fall in [off, off+n): mem with bytes of the head, file with a
// range of the original file.
func (r *Result) Slice(off, n int64, mem func([]byte), file func(off, n int64)) {
	for _, b := range r.Head {
		if n <= 0 {
			return
		}
		if l := int64(len(b)); off >= l {
			off -= l
			continue
		}
		k := min(int64(len(b))-off, n)
		mem(b[off : off+k])
		off, n = 0, n-k
	}
	if n > 0 {
		file(r.Off+off, min(n, r.Len-off))
	}
}

// errDeclined is the module's NGX_DECLINED: the whole file is sent
// unchanged (its index comes first and nothing is cut).
var errDeclined = errors.New("mp4: send the file as it is")

// Cut reads the MP4 file r of size bytes (name is its path, for the
// log) and cuts it as o says. A nil Result with a nil error means the
// file is to be sent unchanged; every error is an *Error, a 500.
func Cut(r io.ReaderAt, size int64, name string, o Options) (*Result, error) {
	f := &file{r: r, name: name, end: size, bufSize: o.BufferSize, o: o}
	err := f.process()
	if err == errDeclined {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return f.result, nil
}

// file is the state of one cut: nginx's read buffer (a window of the
// file, read again when an atom header falls outside it), the atoms
// kept, and the output.
type file struct {
	r       io.ReaderAt
	name    string
	o       Options
	end     int64 // file size
	off     int64 // the reader's position in the file
	win     []byte
	pos     int // win[pos] is the byte at off, while off is in win
	bufSize int64

	timescale     uint32
	ftyp, mvhd    []byte
	moov          bool
	moovBuf       []byte // the window the index was read in
	mdat          bool
	mdatEnd       int64
	traks         []*trak
	contentLength int64
	result        *Result
}

// fail is an error nginx logs at "error"; format's verbs take args.
func (f *file) fail(format string, args ...any) error {
	return &Error{Level: "error", Msg: fmt.Sprintf(format, args...)}
}

// read makes size bytes at the reader's position available in win,
// reading a new window of bufSize bytes (less at the end of the file)
// when they are not there.
func (f *file) read(size int) error {
	if f.pos+size <= len(f.win) {
		return nil
	}
	if f.off+f.bufSize > f.end {
		f.bufSize = f.end - f.off
	}
	if f.bufSize < int64(size) {
		return f.fail(`"%s" mp4 file truncated`, f.name)
	}
	buf := make([]byte, f.bufSize)
	n, err := f.r.ReadAt(buf, f.off)
	if n != len(buf) {
		if err != nil && err != io.EOF {
			return &Error{Level: "crit", Msg: `pread() "` + f.name + `" failed (` + confparse.ErrnoText(err) + `)`}
		}
		return &Error{Level: "crit", Msg: fmt.Sprintf(`pread() read only %d of %d from "%s"`, n, f.bufSize, f.name)}
	}
	f.win, f.pos = buf, 0
	return nil
}

// next skips n bytes: within the window, or past it.
func (f *file) next(n uint64) {
	if n > uint64(len(f.win)-f.pos) {
		f.pos = len(f.win)
	} else {
		f.pos += int(n)
	}
	f.off += int64(n)
}

// header is the current atom from its header on, as nginx addresses it:
// the 8 bytes before the data (of a 64-bit sized atom, the size's low
// half and not its name).
func (f *file) header(dataSize uint64) []byte {
	return f.win[f.pos-8 : f.pos+int(dataSize)]
}

type handler struct {
	name string
	fn   func(f *file, dataSize uint64) error
}

// readAtoms walks the atoms of dataSize bytes from the reader's
// position, calling the handler named for each and skipping the rest.
func (f *file) readAtoms(table []handler, dataSize uint64) error {
	end := f.off + int64(dataSize)
	for f.off < end {
		if err := f.read(4); err != nil {
			return err
		}
		size := uint64(binary.BigEndian.Uint32(f.win[f.pos:]))
		hsize := uint64(8)
		if size == 0 {
			return nil // the last atom runs to the end
		}
		if size < 8 {
			if size != 1 {
				return f.fail(`"%s" mp4 atom is too small:%d`, f.name, size)
			}
			if err := f.read(16); err != nil {
				return err
			}
			size, hsize = binary.BigEndian.Uint64(f.win[f.pos+8:]), 16
			if size < 16 {
				return f.fail(`"%s" mp4 atom is too small:%d`, f.name, size)
			}
		}
		if err := f.read(8); err != nil {
			return err
		}
		name := string(f.win[f.pos+4 : f.pos+8])
		if size > uint64(maxOff-f.off) || f.off+int64(size) > end {
			return f.fail(`"%s" mp4 atom too large:%d`, f.name, size)
		}
		found := false
		for _, h := range table {
			if h.name == name {
				f.next(hsize)
				if err := h.fn(f, size-hsize); err != nil {
					return err
				}
				found = true
				break
			}
		}
		if !found {
			f.next(size)
		}
	}
	return nil
}

const maxOff = 1<<63 - 1

var topAtoms = []handler{{"ftyp", readFtyp}, {"moov", readMoov}, {"mdat", readMdat}}

func readFtyp(f *file, size uint64) error {
	if size > 1024 || uint64(f.pos)+size > uint64(len(f.win)) {
		return f.fail(`"%s" mp4 ftyp atom is too large:%d`, f.name, size)
	}
	if f.ftyp != nil {
		return f.fail(`duplicate mp4 ftyp atom in "%s"`, f.name)
	}
	// A copy: only the index is sure to stay in memory.
	f.ftyp = make([]byte, 8+size)
	put32(f.ftyp, uint32(8+size))
	copy(f.ftyp[4:], "ftyp")
	copy(f.ftyp[8:], f.win[f.pos:])
	f.contentLength = int64(len(f.ftyp))
	f.next(size)
	return nil
}

// moovExcess is read after an index that comes first, for the atoms
// that follow it.
const moovExcess = 4 << 10

func readMoov(f *file, size uint64) error {
	noMdat := !f.mdat
	if noMdat && f.o.Start == 0 && f.o.Length == 0 {
		return errDeclined // the index is first, the whole file asked for
	}
	if f.moov {
		return f.fail(`duplicate mp4 moov atom in "%s"`, f.name)
	}
	if size > uint64(f.bufSize) {
		if size > uint64(f.o.MaxBufferSize) {
			return f.fail(`"%s" mp4 moov atom is too large:%d, you may want to increase mp4_max_buffer_size`, f.name, size)
		}
		f.win, f.pos = nil, 0
		f.bufSize = int64(size)
		if noMdat {
			f.bufSize += moovExcess
		}
	}
	if err := f.read(int(size)); err != nil {
		return err
	}
	f.moov, f.moovBuf = true, f.win
	err := f.readAtoms(moovAtoms, size)
	if noMdat {
		// What follows the index is read after it, keeping it intact.
		f.bufSize = moovExcess
		if f.pos+moovExcess > len(f.win) {
			f.win, f.pos = nil, 0
		} else {
			f.win, f.pos = f.win[f.pos:], 0
		}
	} else {
		f.off = f.end // nothing after the index matters
	}
	return err
}

func readMdat(f *file, size uint64) error {
	if f.mdat {
		return f.fail(`duplicate mp4 mdat atom in "%s"`, f.name)
	}
	f.mdat = true
	f.mdatEnd = f.off + int64(size)
	if len(f.traks) > 0 {
		f.off = f.end
	} else {
		f.next(size)
	}
	return nil
}

func put32(b []byte, v uint32) { binary.BigEndian.PutUint32(b, v) }
func put64(b []byte, v uint64) { binary.BigEndian.PutUint64(b, v) }
func get32(b []byte) uint32    { return binary.BigEndian.Uint32(b) }
func get64(b []byte) uint64    { return binary.BigEndian.Uint64(b) }
