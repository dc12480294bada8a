package conffmt

// config.go formats a whole configuration — its main file and every file
// it includes, found as nginx finds them — and proves the result means
// the same: confparse loads it again from the formatted texts and the
// typed model must equal the original's (line numbers aside).

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"goproxy/confparse"
)

// File is one configuration file with its text before and after.
type File struct {
	Path     string
	Old, New []byte
}

// Changed says whether formatting changes the file.
func (f File) Changed() bool { return !bytes.Equal(f.Old, f.New) }

// format is Format; tests replace it to check the guard.
var format = Format

// Config formats the configuration o names, in the order nginx reads its
// files. A configuration that does not load is refused with
// confparse's error (nginx's wording and position), and so is a result
// whose model differs, naming the file at fault.
func Config(o confparse.Options) ([]File, error) {
	o.ReadFile, o.NoUserLookup = nil, true
	before, err := confparse.Load(o)
	if err != nil {
		return nil, err
	}
	files := make([]File, len(before.Files))
	texts := map[string][]byte{}
	for i, sf := range before.Files {
		out, err := format(sf.Text, sf.Path)
		if err != nil {
			return nil, err
		}
		files[i] = File{Path: sf.Path, Old: sf.Text, New: out}
		texts[sf.Path] = out
	}
	if err := sameModel(o, before, texts); err == nil {
		return files, nil
	}
	// Name the file: the first whose formatted text alone changes it.
	for _, f := range files {
		if f.Changed() && sameModel(o, before, map[string][]byte{f.Path: f.New}) != nil {
			return nil, refusal(f.Path)
		}
	}
	return nil, refusal(o.ConfPath())
}

func refusal(path string) error {
	return fmt.Errorf("%s: formatting would change the configuration's meaning; nothing written", path)
}

// sameModel loads o with some files' texts replaced and compares the
// model with before's.
func sameModel(o confparse.Options, before *confparse.Config, texts map[string][]byte) error {
	o.ReadFile = func(path string) ([]byte, error) {
		if t, ok := texts[path]; ok {
			return t, nil
		}
		return os.ReadFile(path)
	}
	after, err := confparse.Load(o)
	if err != nil {
		return err
	}
	if len(after.Files) != len(before.Files) {
		return errors.New("different files read")
	}
	for i := range after.Files {
		if after.Files[i].Path != before.Files[i].Path {
			return errors.New("different files read")
		}
	}
	m1, err := before.DumpMeaning()
	if err != nil {
		return err
	}
	m2, err := after.DumpMeaning()
	if err != nil {
		return err
	}
	if !bytes.Equal(m1, m2) {
		return errors.New("different model")
	}
	return nil
}
