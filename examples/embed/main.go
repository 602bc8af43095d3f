// Command embed is a small program that embeds mailgate's gateway: it
// builds one process that serves IMAP and LMTP on the same storage, as
// the mailgate binary does, and adds a frontend of its own, a "ping"
// line protocol, served behind the same access list and lifecycle.
//
//	go run ./examples/embed -data-dir /tmp/embed
//
// It prints each address it listens on (imap, lmtp, ping) and, on a first
// run, the password of the user "mailgate"; SIGINT or SIGTERM stop it
// gracefully. Deliver with any LMTP client to the lmtp address, read with
// any IMAP client, and talk to the ping address with nc.
//
// Everything it uses is the gateway's public API: config.Parse (or
// config.Default) for the configuration, gateway.New to build the
// storage, auth, TLS and the IMAP and LMTP frontends the configuration
// names, Gateway.Register for a frontend of the program's own, and
// Gateway.Run until its context is done.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
)

func main() {
	dataDir := flag.String("data-dir", "", "where the users and their mail live (required)")
	imapAddr := flag.String("imap", "127.0.0.1:1143", "IMAP address")
	lmtpAddr := flag.String("lmtp", "127.0.0.1:2424", "LMTP address (host:port) or unix socket path")
	pingAddr := flag.String("ping", "127.0.0.1:7777", "address of the ping frontend")
	flag.Parse()
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "embed: -data-dir is required")
		os.Exit(2)
	}
	if err := run(*dataDir, *imapAddr, *lmtpAddr, *pingAddr); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(dataDir, imapAddr, lmtpAddr, pingAddr string) error {
	// The configuration is mailgate's TOML: keys left out keep the
	// embedded default (config default prints it).
	cfg, err := config.Parse([]byte(fmt.Sprintf(`data-dir = %q
[[server]]
address = %q
[lmtp]
listen = [%q]
`, dataDir, imapAddr, lmtpAddr)), "embed.toml")
	if err != nil {
		return err
	}
	password, err := gateway.EnsureUser(cfg.UsersFile())
	if err != nil {
		return err
	}
	if password != "" {
		fmt.Printf("user %s password %s\n", gateway.FirstUser, password)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	g, err := gateway.New(cfg, gateway.Options{
		Logger: log,
		Ready:  func(a net.Addr) { fmt.Printf("listening %s\n", a) },
	})
	if err != nil {
		return err
	}
	defer g.Close()
	if err := g.Register("ping", &ping{}, gateway.Listener{Address: pingAddr}); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return g.Run(ctx)
}

// ping is a frontend of the program's own: it greets with "PING ready",
// answers each line "PING" with "PONG", and refuses in its own words. It
// implements gateway.Frontend.
type ping struct {
	mu     sync.Mutex
	lns    []net.Listener
	conns  map[net.Conn]bool
	closed bool
}

// Serve accepts connections until Close.
func (p *ping) Serve(ln net.Listener) error {
	p.mu.Lock()
	p.lns = append(p.lns, ln)
	p.mu.Unlock()
	for {
		c, err := ln.Accept()
		if err != nil {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed {
				return nil
			}
			return err
		}
		go p.ServeConn(c)
	}
}

// ServeConn serves one session. Its clients never log in, so it tells
// the gateway's session limits at once.
func (p *ping) ServeConn(c net.Conn) {
	p.mu.Lock()
	if p.conns == nil {
		p.conns = map[net.Conn]bool{}
	}
	p.conns[c] = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
	}()
	if slot, ok := c.(interface{ LoggedIn(string) }); ok {
		slot.LoggedIn("")
	}
	fmt.Fprintf(c, "PING ready\r\n")
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if strings.EqualFold(strings.TrimSpace(sc.Text()), "PING") {
			fmt.Fprintf(c, "PONG\r\n")
		} else {
			fmt.Fprintf(c, "ERR say PING\r\n")
		}
	}
}

// Refuse tells a client the gateway turned away why.
func (p *ping) Refuse(c net.Conn, reason string) {
	fmt.Fprintf(c, "ERR %s\r\n", reason)
	c.Close()
}

// Close stops accepting and ends the sessions.
func (p *ping) Close(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, ln := range p.lns {
		ln.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	return nil
}
