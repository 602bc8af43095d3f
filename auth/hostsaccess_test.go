package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeDNS resolves from maps: PTR names by address, addresses by name.
type fakeDNS struct {
	ptr  map[string]string
	host map[string][]string
}

func (d fakeDNS) lookupAddr(_ context.Context, a string) ([]string, error) {
	if n, ok := d.ptr[a]; ok {
		return []string{n + "."}, nil
	}
	return nil, errors.New("no PTR")
}

func (d fakeDNS) lookupHost(_ context.Context, h string) ([]string, error) {
	if a, ok := d.host[h]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

var testDNS = fakeDNS{
	ptr: map[string]string{"192.0.2.10": "mail.example.org", "192.0.2.11": "liar.example.org",
		"192.0.2.12": "localbox", "2001:db8::5": "v6.example.net"},
	host: map[string][]string{"mail.example.org": {"192.0.2.10"}, "liar.example.org": {"198.51.100.1"},
		"localbox": {"192.0.2.12"}, "v6.example.net": {"2001:db8::5"}},
}

// hostsFiles writes an allow and a deny file.
func hostsFiles(t *testing.T, allow, deny string) *HostsAccess {
	t.Helper()
	dir := t.TempDir()
	h := &HostsAccess{Daemon: "mailgate", AllowFile: filepath.Join(dir, "hosts.allow"), DenyFile: filepath.Join(dir, "hosts.deny"),
		LookupAddr: testDNS.lookupAddr, LookupHost: testDNS.lookupHost, Logger: slog.New(slog.DiscardHandler)}
	if allow != "" {
		os.WriteFile(h.AllowFile, []byte(allow), 0o644)
	}
	if deny != "" {
		os.WriteFile(h.DenyFile, []byte(deny), 0o644)
	}
	return h
}

func TestHostsAccess(t *testing.T) {
	server := netip.MustParseAddr("192.0.2.1")
	list := filepath.Join(t.TempDir(), "trusted")
	os.WriteFile(list, []byte("203.0.113.7\n203.0.113.8 .example.com\n"), 0o644)
	for _, tc := range []struct {
		name, allow, deny, client string
		want                      bool
	}{
		{"no files", "", "", "192.0.2.50", true},
		{"deny all", "", "ALL: ALL\n", "192.0.2.50", false},
		{"allow wins", "mailgate: 192.0.2.50\n", "ALL: ALL\n", "192.0.2.50", true},
		{"other daemon", "sshd: ALL\n", "ALL: ALL\n", "192.0.2.50", false},
		{"daemon list with commas", "sshd, mailgate : ALL\n", "ALL: ALL\n", "192.0.2.50", true},
		{"prefix", "mailgate: 192.0.2.\n", "ALL: ALL\n", "192.0.2.50", true},
		{"prefix no match", "mailgate: 192.0.3.\n", "ALL: ALL\n", "192.0.2.50", false},
		{"net/mask", "mailgate: 192.0.2.0/255.255.255.0\n", "ALL: ALL\n", "192.0.2.50", true},
		{"net/len", "mailgate: 192.0.2.0/28\n", "ALL: ALL\n", "192.0.2.50", false},
		{"ipv6 prefix", "mailgate: [2001:db8::]/32\n", "ALL: ALL\n", "2001:db8::5", true},
		{"ipv6 exact", "mailgate: [2001:db8::6]\n", "ALL: ALL\n", "2001:db8::5", false},
		{"domain", "mailgate: .example.org\n", "ALL: ALL\n", "192.0.2.10", true},
		{"domain needs a confirmed name", "mailgate: .example.org\n", "ALL: ALL\n", "192.0.2.11", false},
		{"paranoid", "", "ALL: PARANOID\n", "192.0.2.11", false},
		{"paranoid not", "", "ALL: PARANOID\n", "192.0.2.10", true},
		{"local", "mailgate: LOCAL\n", "ALL: ALL\n", "192.0.2.12", true},
		{"local not", "mailgate: LOCAL\n", "ALL: ALL\n", "192.0.2.10", false},
		{"unknown", "", "mailgate: UNKNOWN\n", "192.0.2.99", false},
		{"known", "mailgate: KNOWN\n", "ALL: ALL\n", "192.0.2.10", true},
		{"except", "mailgate: 192.0.2. EXCEPT 192.0.2.50\n", "ALL: ALL\n", "192.0.2.50", false},
		{"except nested", "mailgate: 192.0.2. EXCEPT 192.0.2.0/24 EXCEPT 192.0.2.50\n", "ALL: ALL\n", "192.0.2.50", true},
		{"all except daemon", "ALL EXCEPT mailgate: ALL\n", "ALL: ALL\n", "192.0.2.50", false},
		{"wildcard", "mailgate: 192.0.2.5?\n", "ALL: ALL\n", "192.0.2.50", true},
		{"name wildcard", "mailgate: mail.*.org\n", "ALL: ALL\n", "192.0.2.10", true},
		{"deny option in allow file", "mailgate: 192.0.2.50 : deny\nmailgate: ALL\n", "", "192.0.2.50", false},
		{"allow option in deny file", "", "mailgate: 192.0.2.50 : ALLOW\nALL: ALL\n", "192.0.2.50", true},
		{"shell command ignored", "mailgate: 192.0.2.50 : spawn /bin/rm -rf /\n", "ALL: ALL\n", "192.0.2.50", true},
		{"continuation and comments", "# comment\nmailgate: \\\n  192.0.2.50\n", "ALL: ALL\n", "192.0.2.50", true},
		{"pattern file", "mailgate: " + list + "\n", "ALL: ALL\n", "203.0.113.8", true},
		{"pattern file no match", "mailgate: " + list + "\n", "ALL: ALL\n", "203.0.113.9", false},
		{"user@host with ALL", "mailgate: ALL@192.0.2.50\n", "ALL: ALL\n", "192.0.2.50", true},
		{"user@host with a user", "mailgate: bob@192.0.2.50\n", "ALL: ALL\n", "192.0.2.50", false},
		{"netgroup never matches", "mailgate: @trusted\n", "ALL: ALL\n", "192.0.2.50", false},
		{"daemon@host", "mailgate@192.0.2.1: ALL\n", "ALL: ALL\n", "192.0.2.50", true},
		{"daemon@other host", "mailgate@192.0.2.2: ALL\n", "ALL: ALL\n", "192.0.2.50", false},
		{"malformed line skipped", "garbage\nmailgate: 192.0.2.50\n", "ALL: ALL\n", "192.0.2.50", true},
	} {
		h := hostsFiles(t, tc.allow, tc.deny)
		if got, rule := h.Allowed(context.Background(), netip.MustParseAddr(tc.client), server); got != tc.want {
			t.Errorf("%s: allowed = %v (rule %q), want %v", tc.name, got, rule, tc.want)
		}
	}
}

// Edits to the files take effect without a restart; an unreadable file
// denies everyone.
func TestHostsAccessReloadAndUnreadable(t *testing.T) {
	h := hostsFiles(t, "", "ALL: 192.0.2.50\n")
	client, server := netip.MustParseAddr("192.0.2.50"), netip.MustParseAddr("192.0.2.1")
	if ok, _ := h.Allowed(context.Background(), client, server); ok {
		t.Fatal("denied client allowed")
	}
	os.WriteFile(h.DenyFile, []byte("ALL: 192.0.2.51\n"), 0o644)
	os.Chtimes(h.DenyFile, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	if ok, _ := h.Allowed(context.Background(), client, server); !ok {
		t.Fatal("edit not seen")
	}
	os.Remove(h.DenyFile)
	os.Mkdir(h.DenyFile, 0o755) // a directory cannot be read as a file
	if ok, _ := h.Allowed(context.Background(), client, server); ok {
		t.Error("unreadable deny file allowed a client")
	}
}

// FuzzHostsFile: the parser and the matcher never panic, and every rule
// has both lists.
func FuzzHostsFile(f *testing.F) {
	for _, s := range []string{"ALL: ALL\n", "mailgate: 192.0.2. EXCEPT 192.0.2.5 : deny\n", "a,b c: [2001:db8::]/32, .example.org\n",
		"x: \\\n y\n", "#c\n\n:\n", "mailgate: 10.0.0.0/255.0.0.0 : spawn (echo) & : allow", "ALL EXCEPT EXCEPT: EXCEPT", "[: ]:[", "a: *?[\n"} {
		f.Add([]byte(s))
	}
	h := &HostsAccess{Daemon: "mailgate", LookupAddr: testDNS.lookupAddr, LookupHost: testDNS.lookupHost}
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, _ := parseHostsFile(data, "fuzz")
		for _, r := range rules {
			if len(r.daemons) == 0 || len(r.clients) == 0 || r.line < 1 {
				t.Fatalf("rule %+v", r)
			}
			for _, a := range []string{"192.0.2.10", "2001:db8::5"} {
				c := &hostsClient{h: h, ctx: context.Background(), addr: netip.MustParseAddr(a), server: netip.MustParseAddr("192.0.2.1")}
				h.matchList(r.daemons, c.matchDaemon)
				h.matchList(r.clients, func(p string) bool { return c.matchClient(p, 0) })
			}
		}
	})
}
