package proxyauth

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func nodes(names ...string) []Node {
	var ns []Node
	for i, n := range names {
		ns = append(ns, Node{Name: n, IMAP: netip.MustParseAddrPort(fmt.Sprintf("127.0.0.%d:143", i+1)), LMTP: fmt.Sprintf("127.0.0.%d:24", i+1), Hash: true})
	}
	return ns
}

// The rules in their order: owners file, patterns, hashing.
func TestOwnerRules(t *testing.T) {
	ns := nodes("a", "b", "c")
	ns[0].Users = []string{"admin*", "root"}
	ns[2].Hash = false
	file := filepath.Join(t.TempDir(), "owners")
	os.WriteFile(file, []byte("# moved\nAdminX c\n\nbob b\n"), 0o644)
	o, err := NewOwners(ns, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ user, want string }{
		{"adminx", "c"}, // the file wins over the pattern, whatever the case
		{"ADMINY", "a"}, // the pattern, without regard to case
		{"root", "a"},
		{"bob", "b"},
	} {
		if n, ok := o.Owner(tc.user); !ok || n.Name != tc.want {
			t.Errorf("Owner(%q) = %q, %v; want %q", tc.user, n.Name, ok, tc.want)
		}
	}
	// Hashed users never land on c, which does not take them.
	for i := range 1000 {
		if n, _ := o.Owner(fmt.Sprintf("user%d", i)); n.Name == "c" {
			t.Fatalf("user%d hashed onto a node without hash", i)
		}
	}
	// Without any hashed node, an unmatched user has no owner.
	none, _ := NewOwners([]Node{{Name: "x", Users: []string{"x*"}}}, "", nil)
	if n, ok := none.Owner("bob"); ok {
		t.Errorf("Owner without hashed nodes = %q", n.Name)
	}
}

// Rendezvous hashing spreads users evenly, and a new node takes about
// 1/N of them, from every other node, moving no one else.
func TestRendezvousStable(t *testing.T) {
	three, _ := NewOwners(nodes("a", "b", "c"), "", nil)
	four, _ := NewOwners(nodes("a", "b", "c", "d"), "", nil)
	const users = 20000
	count := map[string]int{}
	moved := 0
	for i := range users {
		u := fmt.Sprintf("user%d@example.org", i)
		before, _ := three.Owner(u)
		after, _ := four.Owner(u)
		count[before.Name]++
		if before.Name != after.Name {
			moved++
			if after.Name != "d" {
				t.Fatalf("%s moved from %s to %s, not to the new node", u, before.Name, after.Name)
			}
		}
	}
	for n, c := range count {
		if c < users/3*9/10 || c > users/3*11/10 {
			t.Errorf("node %s has %d of %d users; want about a third", n, c, users)
		}
	}
	if moved < users/4*9/10 || moved > users/4*11/10 {
		t.Errorf("%d of %d users moved to the fourth node; want about a quarter", moved, users)
	}
	t.Logf("3 nodes: %v; adding a fourth moved %d of %d users (%.1f%%)", count, moved, users, 100*float64(moved)/users)
}

// A changed owners file is read again; one that does not parse leaves
// the last good one in force.
func TestOwnersFileReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "owners")
	os.WriteFile(file, []byte("alice a\n"), 0o644)
	o, err := NewOwners(nodes("a", "b"), file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := o.Owner("alice"); n.Name != "a" {
		t.Fatalf("alice on %q", n.Name)
	}
	rewrite(o, file, "alice b\n", time.Minute)
	if n, _ := o.Owner("alice"); n.Name != "b" {
		t.Fatalf("after the move, alice on %q", n.Name)
	}
	rewrite(o, file, "alice nowhere\n", 2*time.Minute)
	if n, _ := o.Owner("alice"); n.Name != "b" {
		t.Fatalf("after a bad file, alice on %q", n.Name)
	}
}

// rewrite replaces the owners file with content, dated ahead by ahead,
// and lets o look at it again at once.
func rewrite(o *Owners, file, content string, ahead time.Duration) {
	o.file.mu.Lock()
	o.file.checked = time.Time{}
	o.file.mu.Unlock()
	os.WriteFile(file, []byte(content), 0o644)
	os.Chtimes(file, time.Now().Add(ahead), time.Now().Add(ahead))
}

func TestParseOwnersFileErrors(t *testing.T) {
	known := func(n string) bool { return n == "a" || n == "b" }
	for _, tc := range []struct{ in, want string }{
		{"alice\n", "f:1: want \"user node\""},
		{"alice a extra\n", "f:1: want"},
		{"# c\nalice c\n", "f:2: no [[proxy-auth.node]] is named \"c\""},
		{"alice a\nALICE b\n", "f:2: user \"ALICE\" is already on node \"a\""},
	} {
		_, err := ParseOwnersFile("f", []byte(tc.in), known)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseOwnersFile(%q) = %v; want %q", tc.in, err, tc.want)
		}
	}
	if _, err := NewOwners(nodes("a"), filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Error("a missing owners file is accepted")
	}
	if _, err := NewOwners([]Node{{Name: "a", Users: []string{"["}}}, "", nil); err == nil {
		t.Error("a bad pattern is accepted")
	}
	if _, err := NewOwners(append(nodes("a"), nodes("a")...), "", nil); err == nil {
		t.Error("two nodes of one name are accepted")
	}
}

func TestTransport(t *testing.T) {
	if got := (Node{LMTP: "10.0.0.1:24"}).Transport(); got != "lmtp:inet:10.0.0.1:24" {
		t.Error(got)
	}
	if got := (Node{LMTP: "/run/mailgate/lmtp.sock"}).Transport(); got != "lmtp:unix:/run/mailgate/lmtp.sock" {
		t.Error(got)
	}
}
