package mp4_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"goproxy/internal/nginxtest"
)

// damaged are movies with a few bytes of their index changed: chunk
// runs out of order, a first chunk 0, a last run past the chunks, and
// random changes (seeded, the same each run) to the index of a movie
// whose index is last and of one whose index is first.
func damaged() map[string]string {
	files := map[string]string{}
	base := movie{timescale: 1000, tracks: []track{video(100, 10)}}.build()
	i := bytes.LastIndex(base, []byte("stsc"))
	n := int(binary.BigEndian.Uint32(base[i+8:]))
	entry := func(b []byte, k int) []byte { return b[i+12+12*k:] }
	for name, change := range map[string]func(b []byte){
		"unordered": func(b []byte) { binary.BigEndian.PutUint32(entry(b, 2), binary.BigEndian.Uint32(entry(b, 1))-1) },
		"repeated":  func(b []byte) { binary.BigEndian.PutUint32(entry(b, 2), binary.BigEndian.Uint32(entry(b, 1))) },
		"zero":      func(b []byte) { binary.BigEndian.PutUint32(entry(b, 0), 0) },
		"beyond":    func(b []byte) { binary.BigEndian.PutUint32(entry(b, n-1), 9999) },
	} {
		b := append([]byte(nil), base...)
		change(b)
		files["m/"+name+".mp4"] = string(b)
	}
	seeds := [][]byte{
		movie{timescale: 1000, tracks: []track{video(30, 7), audio(40, false)}}.build(),
		movie{timescale: 600, moovFirst: true, co64: true, v1: true, tracks: []track{audio(30, true), video(20, 5)}}.build(),
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for k := 0; k < 300; k++ {
		b := append([]byte(nil), seeds[k%2]...)
		for j := rnd.IntN(3); j >= 0; j-- {
			p := rnd.IntN(2500) // in the index, at the file's end or start
			if k%2 == 0 {
				p = len(b) - 1 - p
			}
			switch rnd.IntN(3) {
			case 0:
				b[p] = byte(rnd.IntN(256))
			case 1:
				b[p] = 0
			default:
				b[p] ^= 1 << rnd.IntN(8)
			}
		}
		files[fmt.Sprintf("m/%d.mp4", k)] = string(b)
	}
	return files
}

// TestDamagedLikeNginx sends damaged movies to both servers: the same
// answers (most a 500, some a cut of what the damage left) and the same
// error-log lines.
func TestDamagedLikeNginx(t *testing.T) {
	files := damaged()
	p := nginxtest.Start(t, mp4Conf, nginxtest.Options{Files: files})
	for _, name := range sortedKeys(files) {
		for _, loc := range []string{"/m/", "/k/"} {
			for _, q := range []string{"?start=0.1", "?start=0.5", "?start=1.5", "?start=0.3&end=0.7", "?end=2"} {
				p.Compare(t, nginxtest.Get(loc+name[2:]+q))
			}
		}
	}
	if ng, gp := refusals(p.Nginx.ErrorLog()), refusals(p.Go.ErrorLog()); ng != gp {
		a, b := bytes.Split([]byte(ng), []byte("\n")), bytes.Split([]byte(gp), []byte("\n"))
		for i := 0; i < len(a) && i < len(b); i++ {
			if !bytes.Equal(a[i], b[i]) {
				t.Errorf("error logs differ first at line %d:\nnginx:   %s\ngoproxy: %s", i+1, a[i], b[i])
				break
			}
		}
	}
}
