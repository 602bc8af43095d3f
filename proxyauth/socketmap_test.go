package proxyauth

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

func TestSocketmapLookup(t *testing.T) {
	ns := nodes("a", "b")
	ns[0].Users = []string{"alice"}
	ns[1].Users = []string{"bob"}
	ns[1].LMTP = "/run/mailgate/lmtp.sock"
	o, _ := NewOwners(ns, "", nil)
	exists := func(_ context.Context, user string) (bool, error) {
		if user == "down" {
			return false, errors.New("ldap: connection refused")
		}
		return user == "alice" || user == "bob", nil
	}
	s := NewSocketmap(&SocketmapOptions{Owners: o, RecipientDelimiter: "+-", Domains: []string{"example.org"}, Exists: exists})
	for _, tc := range []struct{ req, want string }{
		{"transport alice@example.org", "OK lmtp:inet:127.0.0.1:24"},
		{"transport Alice+lists@EXAMPLE.org", "OK lmtp:inet:127.0.0.1:24"},
		{"transport bob-x@example.org", "OK lmtp:unix:/run/mailgate/lmtp.sock"},
		{"node bob@example.org", "OK b"},
		{"mailbox bob+x@example.org", "OK b"},
		{"mailbox carol@example.org", "NOTFOUND "},
		{"mailbox down@example.org", "TEMP user lookup failed"},
		{"transport example.org", "NOTFOUND "},
		{"transport .example.org", "NOTFOUND "},
		{"transport alice@example.net", "NOTFOUND "},
		{"virtual alice@example.org", "PERM no map named virtual; want transport, node or mailbox"},
		{"transport", "PERM want \"name key\""},
	} {
		if got := s.Lookup(context.Background(), tc.req); got != tc.want {
			t.Errorf("Lookup(%q) = %q; want %q", tc.req, got, tc.want)
		}
	}
}

// Several requests on one connection, as Postfix sends them, then a
// malformed one that ends it.
func TestSocketmapConn(t *testing.T) {
	o, _ := NewOwners(nodes("a"), "", nil)
	s := NewSocketmap(&SocketmapOptions{Owners: o})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- s.Serve(ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "27:transport alice@example.org,10:node bob@x,")
	r := bufio.NewReader(c)
	for _, want := range []string{"OK lmtp:inet:127.0.0.1:24", "OK a"} {
		got, err := readNetstring(r, 1000)
		if err != nil || string(got) != want {
			t.Fatalf("reply %q, %v; want %q", got, err, want)
		}
	}
	io.WriteString(c, "5x:abc,")
	if _, err := r.ReadByte(); err != io.EOF {
		t.Errorf("after a malformed netstring: %v, want the connection closed", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after Close: %v", err)
	}
}

func TestReadNetstring(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"3:abc,", "abc", nil},
		{"0:,", "", nil},
		{"", "", io.EOF},
		{"3:ab", "", io.ErrUnexpectedEOF},
		{"12", "", io.ErrUnexpectedEOF},
		{":abc,", "", errNetstring},
		{"3:abcd", "", errNetstring},
		{"x:", "", errNetstring},
		{"100001:", "", errNetstring},
		{"99999999999999999999999:", "", errNetstring},
	} {
		got, err := readNetstring(bufio.NewReader(strings.NewReader(tc.in)), maxNetstring)
		if !errors.Is(err, tc.err) || string(got) != tc.want {
			t.Errorf("readNetstring(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if got := string(appendNetstring(nil, "OK a")); got != "4:OK a," {
		t.Errorf("appendNetstring = %q", got)
	}
}
