package auth

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xdg-go/scram"
)

// scramUsers is a users file with SCRAM keys for alice, a bcrypt hash
// for bob, and a locked carol, all with password "pw".
func scramUsers(t *testing.T) *UsersFile {
	t.Helper()
	keys, err := HashSCRAM("pw")
	if err != nil {
		t.Fatal(err)
	}
	u, _, _ := loadForTest(t, writeUsers(t, "alice:"+keys+"\nbob:"+cheapHash(t, "pw")+"\ncarol:!"+keys+"\n"))
	return u
}

// runSCRAM drives our server with xdg-go/scram's client conversation and
// returns the server's final error and how many challenges it sent.
func runSCRAM(t *testing.T, srv *SASLServer, cc *scram.ClientConversation) (challenges int, err error) {
	t.Helper()
	resp, cerr := cc.Step("")
	if cerr != nil {
		t.Fatal(cerr)
	}
	for range 5 {
		ch, done, err := srv.Next([]byte(resp))
		if err != nil {
			return challenges, err
		}
		if done {
			return challenges, nil
		}
		challenges++
		if cc.Done() {
			resp = "" // the empty response after the server's final message
			continue
		}
		if resp, cerr = cc.Step(string(ch)); cerr != nil {
			t.Fatalf("client: %v", cerr)
		}
	}
	t.Fatal("exchange did not end")
	return
}

func TestSCRAM(t *testing.T) {
	users := scramUsers(t)
	opts := &SASLOptions{SCRAM: users, Users: users}
	for _, tc := range []struct {
		user, password string
		err            error
	}{
		{"alice", "pw", nil},
		{"alice", "wrong", ErrBadCredentials},
		{"bob", "pw", ErrBadCredentials},   // bcrypt: no SCRAM keys, as in Dovecot
		{"carol", "pw", ErrBadCredentials}, // locked
		{"mallory", "pw", ErrBadCredentials},
	} {
		srv, err := opts.NewServer(context.Background(), MechSCRAM, Conn{}, &Attempt{})
		if err != nil {
			t.Fatal(err)
		}
		client, _ := scram.SHA256.NewClient(tc.user, tc.password, "")
		challenges, err := runSCRAM(t, srv, client.NewConversation())
		if !errors.Is(err, tc.err) || (tc.err == nil) != (srv.User() != nil) {
			t.Errorf("%s/%s: %v, user %v", tc.user, tc.password, err, srv.User())
		}
		// Unknown users and users without keys see the same exchange as
		// a wrong password: a salt, then a failed proof.
		if tc.err != nil && challenges != 1 {
			t.Errorf("%s/%s: failed after %d challenges, want 1", tc.user, tc.password, challenges)
		}
		if tc.err == nil && challenges != 2 {
			t.Errorf("%s: %d challenges", tc.user, challenges)
		}
	}
}

// The made-up salt of a user without keys is the same on every attempt,
// as a real user's is, and with the same key in another process (after a
// restart, on another node) too.
func TestSCRAMMockSaltStable(t *testing.T) {
	var o SASLOptions
	a, b := o.mockSCRAMCredentials("mallory"), o.mockSCRAMCredentials("mallory")
	if a.Salt != b.Salt || a.Iters != SCRAMIterations || o.mockSCRAMCredentials("eve").Salt == a.Salt {
		t.Error("mock salts are not stable per name")
	}
	if bytes.Equal(a.StoredKey, b.StoredKey) {
		t.Error("mock keys repeat: a password could be found that matches them")
	}
	path := filepath.Join(t.TempDir(), MockSaltKeyFile)
	key, replaced, err := LoadMockSaltKey(path)
	if err != nil || replaced {
		t.Fatalf("LoadMockSaltKey: %v, replaced %v", err, replaced)
	}
	again, _, err := LoadMockSaltKey(path) // the next start
	if err != nil || !bytes.Equal(key, again) {
		t.Fatalf("the key changed at the next start: %v", err)
	}
	one, other := &SASLOptions{MockSaltKey: key}, &SASLOptions{MockSaltKey: again}
	if one.mockSCRAMCredentials("mallory").Salt != other.mockSCRAMCredentials("mallory").Salt {
		t.Error("the same key gives another salt")
	}
	if one.mockSCRAMCredentials("mallory").Salt == a.Salt {
		t.Error("the key of the file is not used")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 0600", fi, err)
	}
}

// A damaged key file (a short write, an editor) is replaced, never
// used; processes starting at once all get the one key made first.
func TestLoadMockSaltKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, MockSaltKeyFile)
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, replaced, err := LoadMockSaltKey(path)
	if err != nil || !replaced || len(key) != mockSaltKeySize {
		t.Fatalf("damaged file: %d-byte key, replaced %v, %v; want a new %d-byte key", len(key), replaced, err, mockSaltKeySize)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, key) {
		t.Error("the new key is not in the file")
	}

	path = filepath.Join(dir, "race.key")
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _, err := LoadMockSaltKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) {
			t.Fatal("processes starting at once got different keys")
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files left in the directory, want the 2 key files", len(entries))
	}

	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if os.Geteuid() != 0 {
		if _, _, err := LoadMockSaltKey(filepath.Join(dir, "new.key")); err == nil {
			t.Error("no error when the key cannot be made")
		}
	}
}

// The salt SCRAM shows for a name must not depend on whether the throttle
// blocks it. A blocked real user used to get a made-up salt (the Attempt
// refused it before the keys were read), which differs from the real
// one, while an unknown name gets the same made-up salt blocked or not:
// a guesser who blocked a name from their own address (Limit failures)
// learned whether it exists. A blocked user still fails at the proof,
// with the right password too.
func TestSCRAMSaltSameWhenBlocked(t *testing.T) {
	users := scramUsers(t)
	opts := &SASLOptions{SCRAM: users, Users: users}
	th := NewThrottle(&ThrottleOptions{Limit: 2, Logger: slog.New(slog.DiscardHandler)})
	addr := netip.MustParseAddr("192.0.2.7")
	first := func(name string) (salt, iters string) {
		t.Helper()
		srv, err := opts.NewServer(context.Background(), MechSCRAM, Conn{PlaintextOK: true},
			&Attempt{Authenticator: users, Throttle: th, Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		ch, _, err := srv.Next([]byte("n,,n=" + name + ",r=abcdefghijklmnop"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Split(string(ch), ",") {
			if s, ok := strings.CutPrefix(f, "s="); ok {
				salt = s
			}
			if s, ok := strings.CutPrefix(f, "i="); ok {
				iters = s
			}
		}
		if salt == "" || iters == "" {
			t.Fatalf("no salt or iteration count in %q", ch)
		}
		return salt, iters
	}
	for _, name := range []string{"alice", "nosuchuser"} {
		salt, iters := first(name)
		for range 2 {
			th.Failure(addr, name)
		}
		if blocked, _ := th.Blocked(addr, name); !blocked {
			t.Fatalf("%s is not blocked", name)
		}
		if s, i := first(name); s != salt || i != iters {
			t.Errorf("%s's SCRAM salt is %s,i=%s while blocked and %s,i=%s otherwise: a block tells whether the name exists",
				name, s, i, salt, iters)
		}
	}
	att := &Attempt{Authenticator: users, Throttle: th, Addr: addr}
	srv, _ := opts.NewServer(context.Background(), MechSCRAM, Conn{}, att)
	client, _ := scram.SHA256.NewClient("alice", "pw", "")
	if _, err := runSCRAM(t, srv, client.NewConversation()); !errors.Is(err, ErrBlocked) {
		t.Errorf("the right password while blocked: %v, want ErrBlocked", err)
	}
}

func TestSCRAMPlus(t *testing.T) {
	users := scramUsers(t)
	opts := &SASLOptions{SCRAM: users, Users: users}
	ca := newTestCA(t)
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		srvState, cliState, leaf := tlsPair(t, ca, nil, version)
		conn := Conn{TLS: &srvState, ServerCertificate: leaf, Advertised: []string{MechSCRAMPlus, MechSCRAM}}
		exporter, err := scram.NewTLSExporterBinding(&cliState)
		if err != nil {
			t.Fatal(err)
		}
		endpoint, err := scram.NewTLSServerEndpointBinding(&cliState) // the client hashes the server's certificate
		if err != nil {
			t.Fatal(err)
		}
		otherState, _, _ := tlsPair(t, ca, nil, version)
		stolen, _ := scram.NewTLSExporterBinding(&otherState)
		for _, tc := range []struct {
			name string
			mech string
			conv func(*scram.Client) *scram.ClientConversation
			err  error
		}{
			{"tls-exporter", MechSCRAMPlus, func(c *scram.Client) *scram.ClientConversation { return c.NewConversationWithChannelBinding(exporter) }, nil},
			{"tls-server-end-point", MechSCRAMPlus, func(c *scram.Client) *scram.ClientConversation { return c.NewConversationWithChannelBinding(endpoint) }, nil},
			{"another connection's binding", MechSCRAMPlus, func(c *scram.Client) *scram.ClientConversation {
				return c.NewConversationWithChannelBinding(stolen)
			}, ErrBadCredentials},
			{"PLUS without binding", MechSCRAMPlus, func(c *scram.Client) *scram.ClientConversation { return c.NewConversation() }, ErrMalformedResponse},
			{"plain SCRAM over TLS", MechSCRAM, func(c *scram.Client) *scram.ClientConversation { return c.NewConversation() }, nil},
			{"downgrade: client supports binding but did not see PLUS", MechSCRAM, func(c *scram.Client) *scram.ClientConversation {
				return c.NewConversationAdvertisingChannelBinding()
			}, ErrMalformedResponse},
		} {
			srv, err := opts.NewServer(context.Background(), tc.mech, conn, &Attempt{})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			client, _ := scram.SHA256.NewClient("alice", "pw", "")
			_, err = runSCRAM(t, srv, tc.conv(client))
			if !errors.Is(err, tc.err) || (tc.err == nil) != (srv.User() != nil) {
				t.Errorf("TLS %x %s: %v, user %v", version, tc.name, err, srv.User())
			}
		}
	}
	if (&SASLOptions{}).Usable(MechSCRAMPlus, Conn{}) {
		t.Error("SCRAM-SHA-256-PLUS usable without TLS")
	}
}

// SCRAM keys in the users file also log in through PLAIN, and a blocked
// user is refused after the same exchange without its keys looked at.
func TestSCRAMKeysAndThrottle(t *testing.T) {
	users := scramUsers(t)
	if u, err := users.Authenticate(context.Background(), "alice", "pw"); err != nil || u.Name != "alice" {
		t.Fatalf("PLAIN against SCRAM keys: %v, %v", u, err)
	}
	if _, err := users.Authenticate(context.Background(), "alice", "wrong"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password against SCRAM keys: %v", err)
	}
	addr := netip.MustParseAddr("192.0.2.9")
	th := NewThrottle(&ThrottleOptions{Limit: 2, Logger: slog.New(slog.DiscardHandler), MaxDelay: time.Millisecond, Delay: time.Millisecond})
	opts := &SASLOptions{SCRAM: users, Users: users}
	try := func(password string) error {
		att := &Attempt{Authenticator: users, Throttle: th, Addr: addr}
		srv, _ := opts.NewServer(context.Background(), MechSCRAM, Conn{}, att)
		client, _ := scram.SHA256.NewClient("alice", password, "")
		_, err := runSCRAM(t, srv, client.NewConversation())
		att.Finish(err)
		return err
	}
	try("wrong")
	try("wrong")
	if err := try("pw"); !errors.Is(err, ErrBlocked) {
		t.Errorf("right password during the block: %v", err)
	}
}

func TestSCRAMKeysFormat(t *testing.T) {
	k, err := NewSCRAMKeys("pencil", []byte("salt"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	h, err := parsePasswordHash(k.String())
	if err != nil || h.scheme != schemeSCRAM || !h.match("pencil") || h.match("pen") {
		t.Fatalf("round trip of %s: %v", k, err)
	}
	for _, bad := range []string{"{SCRAM-SHA-256}", "{SCRAM-SHA-256}4096,c2FsdA==,AA==,AA==", "{SCRAM-SHA-256}0,c2FsdA==,x,y",
		"{SCRAM-SHA-256}99999999,c2FsdA==,x,y", "{SCRAM-SHA-256}4096,,a,b,c"} {
		if _, err := parsePasswordHash(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
