package confparse

// dump.go renders the typed model as indented JSON for golden tests and
// for "goproxy -T -q"-style inspection. Durations print as "75s", IP
// networks as CIDRs, and unset values are left out.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"reflect"
	"time"
)

// WriteFiles writes every file read, in the order read, as "nginx -T"
// does: a "# configuration file PATH:" line, the text, and a newline.
func (c *Config) WriteFiles(w io.Writer) error {
	for _, f := range c.Files {
		if _, err := fmt.Fprintf(w, "# configuration file %s:\n%s\n", f.Path, f.Text); err != nil {
			return err
		}
	}
	return nil
}

// Dump returns the model as indented JSON.
func (c *Config) Dump() ([]byte, error) {
	return json.MarshalIndent(plain(reflect.ValueOf(c), false), "", "  ")
}

// DumpMeaning is Dump without the line numbers recorded for messages:
// what "goproxy fmt" must keep equal while it moves text between lines.
func (c *Config) DumpMeaning() ([]byte, error) {
	return json.MarshalIndent(plain(reflect.ValueOf(c), true), "", "  ")
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	ipNetType    = reflect.TypeOf(net.IPNet{})
)

// plain converts a model value to maps, slices and scalars, honouring the
// json tags' names, "-" and omitempty; noLines leaves out "Line" fields.
func plain(v reflect.Value, noLines bool) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return plain(v.Elem(), noLines)
	}
	switch v.Type() {
	case durationType:
		return time.Duration(v.Int()).String()
	case ipNetType:
		n := v.Interface().(net.IPNet)
		return n.String()
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || noLines && f.Name == "Line" && f.Type.Kind() == reflect.Int {
				continue
			}
			name, omit := f.Name, false
			if tag, ok := f.Tag.Lookup("json"); ok {
				if tag == "-" {
					continue
				}
				if n, opts, _ := cut(tag); n != "" {
					name = n
					omit = opts == "omitempty"
				} else {
					omit = opts == "omitempty"
				}
			}
			fv := v.Field(i)
			if omit && fv.IsZero() {
				continue
			}
			if (fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Map) && fv.IsNil() {
				continue
			}
			out[name] = plain(fv, noLines)
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i), noLines)
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = plain(v.MapIndex(k), noLines)
		}
		return out
	}
	return v.Interface()
}

func cut(tag string) (string, string, bool) {
	for i := 0; i < len(tag); i++ {
		if tag[i] == ',' {
			return tag[:i], tag[i+1:], true
		}
	}
	return tag, "", false
}
