package gateway

import (
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mh"
)

func newTestGateway(t *testing.T, text string) *Gateway {
	t.Helper()
	cfg, err := config.Parse([]byte("data-dir = \""+t.TempDir()+"\"\n"+text), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureUsersFile(cfg.UsersFile()); err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// Every listener's IMAP options come from its [[server]], and share the
// gateway's throttle and session numbers (issue 8, items 9, 14, 15, 30).
func TestIMAPOptions(t *testing.T) {
	g := newTestGateway(t, `
[auth]
login-failure-limit = 3
[[server]]
address = "127.0.0.1:0"
login-timeout = "42s"
write-timeout = "7m"
timeout = "0s"
[[server]]
address = "127.0.0.2:0"
`)
	st := g.cur()
	one, two := g.imapOptions(st, st.cfg.Servers[0], nil, false), g.imapOptions(st, st.cfg.Servers[1], nil, false)
	if one.LoginTimeout != 42*time.Second || one.WriteTimeout != 7*time.Minute {
		t.Errorf("first listener: login timeout %v, write timeout %v", one.LoginTimeout, one.WriteTimeout)
	}
	if one.Timeout >= 0 || two.Timeout != 30*time.Minute {
		t.Errorf("idle timeouts %v and %v; want negative (\"0s\": never) and 30m", one.Timeout, two.Timeout)
	}
	if two.LoginTimeout != time.Minute || two.WriteTimeout != 5*time.Minute {
		t.Errorf("second listener (defaults): login timeout %v, write timeout %v", two.LoginTimeout, two.WriteTimeout)
	}
	if one.Throttle == nil || one.Throttle != two.Throttle || one.Throttle != g.Throttle() {
		t.Errorf("the listeners do not share the gateway's throttle")
	}
	if one.SessionID == nil || two.SessionID == nil {
		t.Fatal("no SessionID")
	}
	seen := map[uint64]bool{}
	for i := 0; i < 3; i++ {
		for _, o := range []*struct{ next func() uint64 }{{one.SessionID}, {two.SessionID}} {
			id := o.next()
			if seen[id] {
				t.Fatalf("session id %d handed out twice across listeners", id)
			}
			seen[id] = true
		}
	}
}

// Every driver numbers new mailboxes with the gateway's one UIDVALIDITY
// allocator (issue 8, item 4).
func TestDriversShareUIDValidity(t *testing.T) {
	calls := 0
	next := func() uint32 { calls++; return uint32(calls) }
	cfg := config.Default()
	var options []func() uint32
	for _, d := range drivers(cfg, slog.New(slog.DiscardHandler), next) {
		switch d := d.(type) {
		case *maildir.Driver:
			options = append(options, d.Options.UIDValidity)
		case *mh.Driver:
			options = append(options, d.Options.UIDValidity)
		}
	}
	options = append(options, mboxOptions(cfg, nil, next).UIDValidity)
	if len(options) != 3 {
		t.Fatalf("%d drivers with options, want maildir, mh and mbox", len(options))
	}
	for i, f := range options {
		if f == nil || f() != uint32(i+1) {
			t.Errorf("driver %d: UIDValidity is not the gateway's allocator", i)
		}
	}
}

// Ident preauth remembers the encrypted replies used in a file of the
// data directory, which every process of it shares and which outlives a
// reload, and takes the server addresses that NAT hides from it.
func TestIdentPreauthOptions(t *testing.T) {
	g := newTestGateway(t, `
preauth = "ident"
ident-keyfile = "/nonexistent/identd.key"
ident-server-addresses = ["192.0.2.1", "::ffff:192.0.2.2"]
`)
	p, ok := g.cur().auth.preauth.(*auth.IdentPreauth)
	if !ok {
		t.Fatalf("preauth is %T, want *auth.IdentPreauth", g.cur().auth.preauth)
	}
	if p.Replies == nil || p.Replies.Path != filepath.Join(g.conf().DataDir, auth.IdentRepliesFile) {
		t.Errorf("Replies = %+v, want the file %s in the data directory", p.Replies, auth.IdentRepliesFile)
	}
	want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}
	if !slices.Equal(p.ServerAddrs, want) {
		t.Errorf("ServerAddrs = %v, want %v", p.ServerAddrs, want)
	}
}

// [mailbox] mh-keep-expunged reaches the MH driver: "0" keeps no backup
// of an expunged message (the driver's negative), and a duration keeps
// them that long.
func TestMHKeepExpungedOption(t *testing.T) {
	for _, tc := range []struct {
		text string
		want time.Duration
	}{
		{"", 24 * time.Hour},
		{"[mailbox]\nmh-keep-expunged = \"0\"\n", -1},
		{"[mailbox]\nmh-keep-expunged = \"1h30m\"\n", 90 * time.Minute},
	} {
		cfg, err := config.Parse([]byte(tc.text), "test.toml")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range drivers(cfg, slog.New(slog.DiscardHandler), nil) {
			if d, ok := d.(*mh.Driver); ok && d.Options.KeepExpunged != tc.want {
				t.Errorf("%q: the MH driver keeps backups %v, want %v", tc.text, d.Options.KeepExpunged, tc.want)
			}
		}
	}
}
