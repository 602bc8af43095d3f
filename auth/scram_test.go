package auth

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/netip"
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
// as a real user's is.
func TestSCRAMMockSaltStable(t *testing.T) {
	a, b := mockSCRAMCredentials("mallory"), mockSCRAMCredentials("mallory")
	if a.Salt != b.Salt || a.Iters != SCRAMIterations || mockSCRAMCredentials("eve").Salt == a.Salt {
		t.Error("mock salts are not stable per name")
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
	if err != nil || h.scheme != schemeSCRAM || !h.verify("pencil") || h.verify("pen") {
		t.Fatalf("round trip of %s: %v", k, err)
	}
	for _, bad := range []string{"{SCRAM-SHA-256}", "{SCRAM-SHA-256}4096,c2FsdA==,AA==,AA==", "{SCRAM-SHA-256}0,c2FsdA==,x,y",
		"{SCRAM-SHA-256}99999999,c2FsdA==,x,y", "{SCRAM-SHA-256}4096,,a,b,c"} {
		if _, err := parsePasswordHash(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
