package ssl

// session.go is TLS session resumption as nginx and OpenSSL do it, on
// crypto/tls's WrapSession/UnwrapSession hooks:
//
//   - tickets (ssl_session_tickets on) are sealed with the server's
//     keys in OpenSSL's layout, key name (16 bytes), IV, AES-CBC of the
//     session, HMAC-SHA256; the keys come from ssl_session_ticket_key
//     files (48 bytes: AES-128, 80 bytes: AES-256, the first file
//     sealing) or are made up when the configuration is loaded, as
//     OpenSSL does for each nginx server;
//   - without tickets, ssl_session_cache keeps the sessions on the
//     server, and the client gets the session's id to present: OpenSSL
//     resumes by id, crypto/tls can only resume what a client presents
//     as a ticket, so the "ticket" is the id (a stateful ticket, as
//     OpenSSL's TLS 1.3 tickets are without tickets);
//   - ssl_session_timeout bounds both: a session older than it is not
//     resumed (crypto/tls alone would take tickets for 7 days).
//
// As in nginx, resumption follows the address' default server (OpenSSL
// resumes before the SNI name selects a server): its cache and timeout,
// and tickets only when it allows them; the keys are those of the
// server the name selected, which OpenSSL has switched to by then.

import (
	"container/list"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"goproxy/confparse"
)

// ticketKey is one ssl_session_ticket_key.
type ticketKey struct {
	name    [16]byte
	hmacKey []byte
	aesKey  []byte
}

// parseTicketKey splits a key file as nginx does: name, HMAC secret,
// AES key (16 + 16 + 16 or 16 + 32 + 32 bytes).
func parseTicketKey(b []byte) ticketKey {
	var k ticketKey
	copy(k.name[:], b[:16])
	half := (len(b) - 16) / 2
	k.hmacKey = append([]byte(nil), b[16:16+half]...)
	k.aesKey = append([]byte(nil), b[16+half:]...)
	return k
}

// readTicketKeys reads ssl_session_ticket_key files.
func readTicketKeys(files []string) ([]ticketKey, error) {
	var out []ticketKey
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cannot load session ticket key %q: %v", f, err)
		}
		if len(b) != 48 && len(b) != 80 {
			return nil, fmt.Errorf("\"%s\" must be 48 or 80 bytes", f)
		}
		out = append(out, parseTicketKey(b))
	}
	return out, nil
}

// randomTicketKey is the key OpenSSL makes up for a server without key
// files: AES-256 and a 32-byte HMAC secret.
func randomTicketKey() ticketKey {
	b := make([]byte, 80)
	rand.Read(b)
	return parseTicketKey(b)
}

func (k *ticketKey) mac(b []byte) []byte {
	m := hmac.New(sha256.New, k.hmacKey)
	m.Write(b)
	return m.Sum(nil)
}

// seal makes a ticket of a session created at created.
func (k *ticketKey) seal(created time.Time, state []byte) ([]byte, error) {
	block, err := aes.NewCipher(k.aesKey)
	if err != nil {
		return nil, err
	}
	plain := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(state)+aes.BlockSize), uint64(created.UnixNano()))
	plain = append(plain, state...)
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	for range pad {
		plain = append(plain, byte(pad))
	}
	out := make([]byte, 32, 32+len(plain)+sha256.Size)
	copy(out, k.name[:])
	rand.Read(out[16:32])
	ct := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, out[16:32]).CryptBlocks(ct, plain)
	out = append(out, ct...)
	return append(out, k.mac(out)...), nil
}

// openTicket finds the key a ticket names and opens it.
func openTicket(keys []ticketKey, t []byte) (time.Time, []byte, bool) {
	if len(t) < 32+aes.BlockSize+sha256.Size || (len(t)-32-sha256.Size)%aes.BlockSize != 0 {
		return time.Time{}, nil, false
	}
	for i := range keys {
		k := &keys[i]
		if subtle.ConstantTimeCompare(k.name[:], t[:16]) != 1 {
			continue
		}
		body, sum := t[:len(t)-sha256.Size], t[len(t)-sha256.Size:]
		if !hmac.Equal(sum, k.mac(body)) {
			return time.Time{}, nil, false
		}
		block, err := aes.NewCipher(k.aesKey)
		if err != nil {
			return time.Time{}, nil, false
		}
		plain := make([]byte, len(body)-32)
		cipher.NewCBCDecrypter(block, body[16:32]).CryptBlocks(plain, body[32:])
		plain, err = unpad(plain, aes.BlockSize)
		if err != nil || len(plain) < 8 {
			return time.Time{}, nil, false
		}
		return time.Unix(0, int64(binary.BigEndian.Uint64(plain))), plain[8:], true
	}
	return time.Time{}, nil, false
}

// sessionCache is ssl_session_cache: sessions by id, the oldest
// dropped when it is full.
type sessionCache struct {
	mu    sync.Mutex
	max   int
	byID  map[string]*list.Element
	order *list.List // of *cached, oldest first
}

type cached struct {
	id      string
	state   []byte
	created time.Time
	tls13   bool
}

func newSessionCache(max int) *sessionCache {
	return &sessionCache{max: max, byID: map[string]*list.Element{}, order: list.New()}
}

func (c *sessionCache) put(id []byte, state []byte, created time.Time, tls13 bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[string(id)]; ok {
		c.order.Remove(e)
	}
	for c.order.Len() >= c.max {
		old := c.order.Front()
		delete(c.byID, old.Value.(*cached).id)
		c.order.Remove(old)
	}
	c.byID[string(id)] = c.order.PushBack(&cached{id: string(id), state: state, created: created, tls13: tls13})
}

// take finds a session; a TLS 1.3 one is used once, as OpenSSL does
// against replays.
func (c *sessionCache) take(id []byte) *cached {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[string(id)]
	if !ok {
		return nil
	}
	s := e.Value.(*cached)
	if s.tls13 {
		delete(c.byID, s.id)
		c.order.Remove(e)
	}
	return s
}

// sharedCaches are the "shared:NAME:size" zones: servers naming the
// same zone share it, and it outlives a reload as nginx's shared
// memory does.
var sharedCaches = struct {
	sync.Mutex
	m map[string]*sessionCache
}{m: map[string]*sessionCache{}}

// cacheFor is the cache ssl_session_cache describes, nil for "off" and
// "none" (nginx then resumes by tickets only). A megabyte holds about
// 4000 sessions in nginx; "builtin" alone holds 20480.
func cacheFor(spec string) *sessionCache {
	var shared string
	var sharedSize int64
	builtin := 0
	for _, a := range strings.Fields(spec) {
		switch {
		case a == "builtin":
			builtin = 20480
		case strings.HasPrefix(a, "builtin:"):
			fmt.Sscan(a[8:], &builtin)
		case strings.HasPrefix(a, "shared:"):
			name, size, _ := strings.Cut(a[7:], ":")
			shared = name
			sharedSize, _ = confparse.ParseSize(size)
		}
	}
	if shared != "" {
		sharedCaches.Lock()
		defer sharedCaches.Unlock()
		c := sharedCaches.m[shared]
		if c == nil {
			c = newSessionCache(max(int(sharedSize/256), 1))
			sharedCaches.m[shared] = c
		}
		return c
	}
	if builtin > 0 {
		return newSessionCache(builtin)
	}
	return nil
}

// handshake is one handshake's session hooks: what resuming found is
// needed when the session is stored again.
type handshake struct {
	keys    []ticketKey   // of the server the SNI name selected
	cache   *sessionCache // the default server's, without tickets
	timeout time.Duration
	setID   func([]byte)

	created time.Time // of the session resumed
	id      []byte    // the id it was cached under
}

// sessionHooks sets tc's resumption for a handshake that selected s on
// an address whose default server is def.
func (s *Server) sessionHooks(tc *tls.Config, def *Server, setID func([]byte)) {
	if def == nil {
		def = s
	}
	h := &handshake{keys: s.ticketKeys, timeout: *def.conf.SessionTimeout, setID: setID}
	if !*s.conf.SessionTickets || !*def.conf.SessionTickets {
		h.cache = def.sessions
		if h.cache == nil {
			tc.SessionTicketsDisabled = true
			return
		}
	}
	tc.SessionTicketsDisabled = false
	tc.WrapSession, tc.UnwrapSession = h.wrap, h.unwrap
}

func (h *handshake) wrap(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
	state, err := ss.Bytes()
	if err != nil {
		return nil, err
	}
	// A TLS 1.2 session goes on as it was (OpenSSL keeps its time and
	// id); TLS 1.3 makes a new one each time.
	again := cs.DidResume && cs.Version < tls.VersionTLS13
	created := time.Now()
	if again && !h.created.IsZero() {
		created = h.created
	}
	if h.cache == nil {
		return h.keys[0].seal(created, state)
	}
	id := h.id
	if !again || id == nil {
		id = make([]byte, 32)
		rand.Read(id)
	}
	h.cache.put(id, state, created, cs.Version >= tls.VersionTLS13)
	if h.setID != nil {
		h.setID(id)
	}
	return id, nil
}

func (h *handshake) unwrap(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
	var created time.Time
	var state []byte
	if h.cache == nil {
		var ok bool
		if created, state, ok = openTicket(h.keys, identity); !ok {
			return nil, nil
		}
	} else {
		c := h.cache.take(identity)
		if c == nil {
			return nil, nil
		}
		created, state = c.created, c.state
	}
	if time.Since(created) >= h.timeout {
		return nil, nil
	}
	ss, err := tls.ParseSessionState(state)
	if err != nil {
		return nil, nil
	}
	h.created = created
	if h.cache != nil {
		h.id = append([]byte(nil), identity...)
		if h.setID != nil && cs.Version < tls.VersionTLS13 {
			h.setID(h.id)
		}
	}
	return ss, nil
}
