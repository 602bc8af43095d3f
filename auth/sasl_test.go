package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/emersion/go-sasl"
)

// fakeAuth is an Authenticator over a map of passwords.
type fakeAuth map[string]string

func (f fakeAuth) Authenticate(ctx context.Context, name, password string) (*User, error) {
	if p, ok := f[name]; ok && p == password {
		return &User{Name: name, UID: -1, GID: -1}, nil
	}
	return nil, ErrBadCredentials
}

var _ sasl.Server = (*SASLServer)(nil)

// step is one client response and the server's expected answer.
type step struct {
	response  []byte
	challenge string
	done      bool
	err       error // compared with errors.Is; nil means none
}

func TestSASL(t *testing.T) {
	users := fakeAuth{"alice": "pw"}
	for _, tc := range []struct {
		name  string
		mech  string
		steps []step
		user  string // who is logged in at the end; "" for nobody
	}{
		{"plain initial response", "PLAIN", []step{
			{response: []byte("\x00alice\x00pw"), done: true},
		}, "alice"},
		{"plain lower-case mechanism", "plain", []step{
			{response: []byte("\x00alice\x00pw"), done: true},
		}, "alice"},
		{"plain same authzid", "PLAIN", []step{
			{response: []byte("alice\x00alice\x00pw"), done: true},
		}, "alice"},
		{"plain no initial response", "PLAIN", []step{
			{response: nil, challenge: ""},
			{response: []byte("\x00alice\x00pw"), done: true},
		}, "alice"},
		{"plain wrong password", "PLAIN", []step{
			{response: []byte("\x00alice\x00wrong"), done: true, err: ErrBadCredentials},
		}, ""},
		{"plain unknown user", "PLAIN", []step{
			{response: []byte("\x00bob\x00pw"), done: true, err: ErrBadCredentials},
		}, ""},
		{"plain other authzid", "PLAIN", []step{
			{response: []byte("bob\x00alice\x00pw"), done: true, err: ErrAuthzidNotAllowed},
		}, ""},
		{"plain empty response", "PLAIN", []step{
			{response: []byte{}, done: true, err: ErrMalformedResponse},
		}, ""},
		{"plain empty after challenge", "PLAIN", []step{
			{response: nil, challenge: ""},
			{response: nil, done: true, err: ErrMalformedResponse},
		}, ""},
		{"plain garbage", "PLAIN", []step{
			{response: []byte("alice pw"), done: true, err: ErrMalformedResponse},
		}, ""},
		{"plain too many parts", "PLAIN", []step{
			{response: []byte("\x00alice\x00pw\x00x"), done: true, err: ErrMalformedResponse},
		}, ""},
		{"plain after the end", "PLAIN", []step{
			{response: []byte("\x00alice\x00pw"), done: true},
			{response: []byte("\x00alice\x00pw"), done: true, err: ErrMalformedResponse},
		}, "alice"},
		{"login", "LOGIN", []step{
			{response: nil, challenge: "Username:"},
			{response: []byte("alice"), challenge: "Password:"},
			{response: []byte("pw"), done: true},
		}, "alice"},
		{"login empty initial response", "login", []step{
			{response: []byte{}, challenge: "Username:"},
			{response: []byte("alice"), challenge: "Password:"},
			{response: []byte("pw"), done: true},
		}, "alice"},
		{"login name as initial response", "LOGIN", []step{
			{response: []byte("alice"), challenge: "Password:"},
			{response: []byte("pw"), done: true},
		}, "alice"},
		{"login wrong password", "LOGIN", []step{
			{response: nil, challenge: "Username:"},
			{response: []byte("alice"), challenge: "Password:"},
			{response: []byte("nope"), done: true, err: ErrBadCredentials},
		}, ""},
		{"login empty password", "LOGIN", []step{
			{response: []byte("alice"), challenge: "Password:"},
			{response: nil, done: true, err: ErrBadCredentials},
		}, ""},
		{"login empty name", "LOGIN", []step{
			{response: nil, challenge: "Username:"},
			{response: nil, done: true, err: ErrMalformedResponse},
		}, ""},
		{"login after the end", "LOGIN", []step{
			{response: []byte("alice"), challenge: "Password:"},
			{response: []byte("pw"), done: true},
			{response: []byte("more"), done: true, err: ErrMalformedResponse},
		}, "alice"},
		{"login garbage bytes", "LOGIN", []step{
			{response: []byte{0xff, 0x00, 0xfe}, challenge: "Password:"},
			{response: []byte{0x00}, done: true, err: ErrBadCredentials},
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSASLServer(context.Background(), tc.mech, users)
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range tc.steps {
				if i == 0 && s.User() != nil {
					t.Error("user known before the exchange")
				}
				ch, done, err := s.Next(st.response)
				if string(ch) != st.challenge || done != st.done || !errors.Is(err, st.err) || (st.err == nil) != (err == nil) {
					t.Errorf("step %d: Next(%q) = %q, %v, %v; want %q, %v, %v", i, st.response, ch, done, err, st.challenge, st.done, st.err)
				}
			}
			got := ""
			if u := s.User(); u != nil {
				got = u.Name
			}
			if got != tc.user {
				t.Errorf("User() = %q, want %q", got, tc.user)
			}
		})
	}
}

func TestSASLUnknownMechanism(t *testing.T) {
	for _, mech := range []string{"", "CRAM-MD5", "OAUTHBEARER", "SCRAM-SHA-256"} {
		if _, err := NewSASLServer(context.Background(), mech, fakeAuth{}); !errors.Is(err, ErrUnknownMechanism) {
			t.Errorf("NewSASLServer(%q) err = %v, want ErrUnknownMechanism", mech, err)
		}
	}
	for _, mech := range DefaultMechanisms() {
		s, err := NewSASLServer(context.Background(), mech, fakeAuth{})
		if err != nil || s.Mechanism() != mech {
			t.Errorf("NewSASLServer(%q) = %v, %v", mech, s, err)
		}
	}
}

func TestSASLWithUsersFile(t *testing.T) {
	u, _, _ := loadForTest(t, writeUsers(t, "alice:"+cheapHash(t, "pw")+"\n"))
	// A go-sasl client drives our server.
	for _, c := range []sasl.Client{sasl.NewPlainClient("", "alice", "pw"), sasl.NewLoginClient("alice", "pw")} {
		mech, ir, err := c.Start()
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSASLServer(context.Background(), mech, u)
		if err != nil {
			t.Fatal(err)
		}
		resp := ir
		for range 5 {
			ch, done, err := s.Next(resp)
			if err != nil {
				t.Fatalf("%s: %v", mech, err)
			}
			if done {
				break
			}
			if resp, err = c.Next(ch); err != nil {
				t.Fatalf("%s client: %v", mech, err)
			}
		}
		if s.User() == nil || s.User().Name != "alice" {
			t.Errorf("%s: User() = %v", mech, s.User())
		}
	}
}

// FuzzSASL feeds arbitrary responses to every mechanism: no panic, and
// nobody but alice logs in.
func FuzzSASL(f *testing.F) {
	f.Add("PLAIN", []byte("\x00alice\x00pw"), []byte(nil), false)
	f.Add("PLAIN", []byte{}, []byte{}, true)
	f.Add("LOGIN", []byte("alice"), []byte("pw"), false)
	f.Add("LOGIN", []byte(nil), []byte{0}, true)
	f.Add("SCRAM-SHA-256", []byte("n,,n=alice,r=abc"), []byte("c=biws,r=abc,p=AAAA"), false)
	f.Add("OAUTHBEARER", []byte("n,,\x01auth=Bearer t\x01\x01"), []byte{}, false)
	f.Add("ANONYMOUS", []byte("trace"), []byte(nil), true)
	f.Fuzz(func(t *testing.T, mech string, r1, r2 []byte, nil1 bool) {
		o := &SASLOptions{Users: fakeIdentifier{"alice": true}, Tokens: staticTokens{"t": "alice"}, AnonymousUser: "alice"}
		s, err := o.NewServer(context.Background(), mech, Conn{PlaintextOK: true}, &Attempt{Authenticator: fakeAuth{"alice": "pw"}})
		if err != nil {
			return
		}
		if nil1 {
			r1 = nil
		}
		for _, r := range [][]byte{r1, r2, r2} {
			if _, done, err := s.Next(r); done || err != nil {
				break
			}
		}
		if u := s.User(); u != nil && u.Name != "alice" {
			t.Errorf("logged in as %q", u.Name)
		}
	})
}
