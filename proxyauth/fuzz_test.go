package proxyauth

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// FuzzNetstring: any input is read without a panic, and what is read
// written again reads back the same.
func FuzzNetstring(f *testing.F) {
	for _, s := range []string{"3:abc,", "0:,", "27:transport alice@example.org,", "3:ab", "x:", "1:a,2:bc,", "100001:"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		for {
			data, err := readNetstring(r, 1000)
			if err != nil {
				return
			}
			back, err := readNetstring(bufio.NewReader(bytes.NewReader(appendNetstring(nil, string(data)))), 1000)
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("%q: round trip gives %q, %v", data, back, err)
			}
		}
	})
}

// FuzzSocketmapLookup: any request gets one of the four replies.
func FuzzSocketmapLookup(f *testing.F) {
	for _, s := range []string{"transport alice@example.org", "node a+b@c", "transport example.org", "x", "transport @", "node @@", "mailbox a@b"} {
		f.Add(s)
	}
	ns := nodes("a", "b")
	ns[0].Users = []string{"a*"}
	o, _ := NewOwners(ns, "", nil)
	s := NewSocketmap(&SocketmapOptions{Owners: o, RecipientDelimiter: "+"})
	f.Fuzz(func(t *testing.T, req string) {
		got := s.Lookup(context.Background(), req)
		for _, p := range []string{"OK ", "NOTFOUND ", "TEMP ", "PERM "} {
			if strings.HasPrefix(got, p) {
				return
			}
		}
		t.Fatalf("Lookup(%q) = %q", req, got)
	})
}

// FuzzParseRequest: any auth_http headers parse or fail without a panic,
// and a parsed request has a method and a valid client address.
func FuzzParseRequest(f *testing.F) {
	f.Add("plain", "alice", "secret%20x", "imap", "1", "192.0.2.1")
	f.Add("login", "%zz", "", "pop3", "0", "::ffff:1.2.3.4")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, method, user, pass, proto, attempt, ip string) {
		h := http.Header{}
		for k, v := range map[string]string{"Auth-Method": method, "Auth-User": user, "Auth-Pass": pass,
			"Auth-Protocol": proto, "Auth-Login-Attempt": attempt, "Client-IP": ip} {
			h.Set(k, v)
		}
		r, err := ParseRequest(h)
		if err != nil {
			return
		}
		if r.Method == "" || !r.Client.IsValid() || r.Attempt < 1 {
			t.Fatalf("parsed %+v from %v", r, h)
		}
	})
}

// FuzzParseOwnersFile: any file parses or fails without a panic; a
// parsed one names only known nodes, with folded user names.
func FuzzParseOwnersFile(f *testing.F) {
	for _, s := range []string{"alice a\n# c\n\nbob b\n", "alice\n", "Alice a\nalice b\n", "x y z\n", "\t a \t b \r\n"} {
		f.Add([]byte(s))
	}
	known := func(n string) bool { return n == "a" || n == "b" }
	f.Fuzz(func(t *testing.T, data []byte) {
		owners, err := ParseOwnersFile("f", data, known)
		if err != nil {
			return
		}
		for u, n := range owners {
			if !known(n) || u != fold(u) || u == "" {
				t.Fatalf("parsed %q -> %q", u, n)
			}
		}
	})
}
