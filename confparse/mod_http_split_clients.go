package confparse

// mod_http_split_clients.go: ngx_http_split_clients_module — a variable
// that splits clients into buckets by a hash of a string (A/B tests).

// SplitClients is a split_clients block.
type SplitClients struct {
	Source *Template
	Var    string
	Parts  []*SplitPart
}

// SplitPart is one bucket: values whose MurmurHash2 is below Bound go to
// Value. Bound is the running total of the percentages scaled to 2^32-1
// as nginx computes it; 0 marks "*" (everything left).
type SplitPart struct {
	Percent int // hundredths of a percent, as written; 0 for "*"
	Bound   uint32
	Value   string
}

func init() {
	register("ngx_http_split_clients_module",
		&Directive{Name: "split_clients", Ctx: CtxHTTP, Args: Args2, Block: true, set: setSplitClients},
	)
}

func setSplitClients(b *builder, f *frame, s *Stmt) error {
	sc, err := parseSplitClients(b, s)
	if err != nil {
		return err
	}
	f.http.Vars[sc.Var] = true
	f.http.Splits = append(f.http.Splits, sc)
	return nil
}

// parseSplitClients reads a split_clients block, in http or stream.
func parseSplitClients(b *builder, s *Stmt) (*SplitClients, error) {
	src, err := b.tmpl(s, s.Args[0])
	if err != nil {
		return nil, err
	}
	name, err := varName(s, s.Args[1])
	if err != nil {
		return nil, err
	}
	sc := &SplitClients{Source: src, Var: name}
	for _, t := range s.Block {
		if t.err != nil {
			return nil, t.err
		}
		if t.IsBlock {
			return nil, errf(t, "unexpected \"{\"")
		}
		p := &SplitPart{}
		if t.Name != "*" {
			n, ok := parsePercent(t.Name)
			if !ok || n == 0 {
				return nil, errf(t, "invalid percent value %q", t.Name)
			}
			p.Percent = n
		}
		// nginx takes the first argument as the value; an entry without
		// one gets an empty value here.
		if len(t.Args) > 0 {
			p.Value = t.Args[0]
		}
		sc.Parts = append(sc.Parts, p)
	}
	sum := 0
	var last uint64
	for _, p := range sc.Parts {
		if p.Percent == 0 {
			sum = 10000
		} else {
			sum += p.Percent
		}
		if sum > 10000 {
			return nil, &Diag{Level: LevelEmerg, Msg: "percent total is greater than 100%", File: s.File, Line: s.EndLine}
		}
		if p.Percent != 0 {
			last += uint64(p.Percent) * 0xffffffff / 10000
			p.Bound = uint32(last)
		}
	}
	return sc, nil
}

// parsePercent reads "12.34%" into hundredths (1234), as nginx's
// ngx_atofp with two decimals: digits, at most one point, at most two
// digits after it.
func parsePercent(v string) (int, bool) {
	if len(v) < 2 || v[len(v)-1] != '%' {
		return 0, false
	}
	v = v[:len(v)-1]
	n, frac, point := 0, 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.' && !point:
			point = true
		case c >= '0' && c <= '9':
			if point {
				if frac == 2 {
					return 0, false
				}
				frac++
			}
			n = n*10 + int(c-'0')
			if n > 1<<30 {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	for ; frac < 2; frac++ {
		n *= 10
	}
	return n, true
}
