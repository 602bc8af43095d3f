package proxyauth

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/mailgate/mailgate/internal/accept"
)

// SocketmapOptions configure a Socketmap.
type SocketmapOptions struct {
	// Owners says which node owns a recipient, asked at each lookup
	// (so that one whose answers change, as a gateway's after a reload,
	// applies at once). Required.
	Owners OwnerMap
	// RecipientDelimiter holds the characters that separate a user from
	// an address's detail ("alice+lists"), as [lmtp]'s; "" means none.
	RecipientDelimiter string
	// Domains are the mail domains the nodes serve; a recipient in
	// another domain is NOTFOUND. Empty: any domain.
	Domains []string
	// Exists tells whether a user has a mailbox, for the mailbox map
	// (an error: the back-end could not answer); nil makes the mailbox
	// map answer TEMP.
	Exists func(ctx context.Context, user string) (bool, error)
	// Timeout is how long a connection may stay silent, and a lookup
	// take; 0 means a minute. Postfix keeps its connections open and
	// reuses them, and connects again when the server has hung up.
	Timeout time.Duration
	// Logger hears of malformed requests; nil means slog.Default().
	Logger *slog.Logger
}

// Socketmap answers Postfix's socketmap lookups (socketmap_table(5)):
// each request is a netstring "NAME KEY", each reply a netstring "OK
// VALUE", "NOTFOUND ", "TEMP reason" or "PERM reason". The map names:
//
//   - transport: KEY is a recipient address; VALUE is the owner node's
//     LMTP transport, "lmtp:inet:host:port" or "lmtp:unix:/path", for
//     Postfix's transport_maps.
//   - node: the owner node's name.
//   - mailbox: the owner node's name for a user that exists (Exists),
//     NOTFOUND for one that does not: Postfix's virtual_mailbox_maps,
//     so that mail for unknown users is refused during SMTP.
//
// A key without '@' (Postfix's domain lookups in transport_maps) is
// NOTFOUND. The user is the local part less its detail, as the LMTP
// frontend finds it.
type Socketmap struct {
	opts SocketmapOptions
	log  *slog.Logger

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewSocketmap returns a socketmap server.
func NewSocketmap(opts *SocketmapOptions) *Socketmap {
	s := &Socketmap{opts: *opts, log: opts.Logger, conns: map[net.Conn]struct{}{}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.opts.Timeout <= 0 {
		s.opts.Timeout = time.Minute
	}
	return s
}

// Lookup answers one request, without its netstring framing.
func (s *Socketmap) Lookup(ctx context.Context, request string) string {
	name, key, ok := strings.Cut(request, " ")
	if !ok || key == "" {
		return "PERM want \"name key\""
	}
	at := strings.LastIndexByte(key, '@')
	if at <= 0 {
		return "NOTFOUND "
	}
	local, domain := key[:at], key[at+1:]
	if !s.localDomain(domain) {
		return "NOTFOUND "
	}
	if d := s.opts.RecipientDelimiter; d != "" {
		if i := strings.IndexAny(local, d); i > 0 {
			local = local[:i]
		}
	}
	node, found := s.opts.Owners.Owner(local)
	if !found {
		return "NOTFOUND "
	}
	switch name {
	case "transport":
		if node.LMTP == "" {
			return "TEMP node " + node.Name + " has no lmtp address"
		}
		return "OK " + node.Transport()
	case "node":
		return "OK " + node.Name
	case "mailbox":
		if s.opts.Exists == nil {
			return "TEMP no user lookup configured"
		}
		ok, err := s.opts.Exists(ctx, local)
		switch {
		case err != nil:
			s.log.Warn("socketmap: user lookup failed", "user", local, "err", err)
			return "TEMP user lookup failed"
		case !ok:
			return "NOTFOUND "
		}
		return "OK " + node.Name
	}
	return "PERM no map named " + name + "; want transport, node or mailbox"
}

func (s *Socketmap) localDomain(domain string) bool {
	if len(s.opts.Domains) == 0 {
		return true
	}
	for _, d := range s.opts.Domains {
		if strings.EqualFold(d, domain) {
			return true
		}
	}
	return false
}

// Serve answers the connections of ln until Close.
func (s *Socketmap) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("socketmap: closed")
	}
	s.ln = ln
	s.mu.Unlock()
	// Out of descriptors for a moment (a burst of lookups), accept.Loop
	// waits and goes on rather than leave Postfix without a map.
	err := accept.Loop(ln, func(c net.Conn) { go s.ServeConn(c) }, s.log)
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil
	}
	return err
}

// ServeConn answers the requests of one connection until the client
// hangs up, stays silent for Timeout, or sends a malformed netstring.
func (s *Socketmap) ServeConn(c net.Conn) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	if sl, ok := c.(interface{ LoggedIn(string) }); ok {
		sl.LoggedIn("") // no login: a lookup session is a session at once
	}
	r := bufio.NewReader(c)
	var out []byte
	for {
		c.SetReadDeadline(time.Now().Add(s.opts.Timeout))
		req, err := readNetstring(r, maxNetstring)
		if err != nil {
			if err != io.EOF && !errors.Is(err, net.ErrClosed) {
				s.log.Warn("socketmap: connection dropped", "remote", c.RemoteAddr().String(), "err", err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
		reply := s.Lookup(ctx, string(req))
		cancel()
		out = appendNetstring(out[:0], reply)
		c.SetWriteDeadline(time.Now().Add(s.opts.Timeout))
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// Refuse closes c: socketmap has no way to say why, and Postfix logs the
// lookup as failed and retries later.
func (s *Socketmap) Refuse(c net.Conn, reason string) { c.Close() }

// Close stops accepting, hangs up on every connection (Postfix
// reconnects at its next lookup) and waits for them until ctx is done.
func (s *Socketmap) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
