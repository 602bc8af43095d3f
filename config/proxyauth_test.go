package config

import (
	"testing"
	"time"
)

func TestProxyAuthBadValues(t *testing.T) {
	node := "[[proxy-auth.node]]\nname = \"a\"\nimap = \"10.0.0.1:143\"\nlmtp = \"10.0.0.1:24\"\n"
	for _, tt := range []struct{ name, src, want string }{
		{"listen", "[proxy-auth]\nlisten = \"localhost\"\n" + node, `2 proxy-auth.listen: "localhost" is not host:port`},
		{"no node", "[proxy-auth]\nlisten = \"127.0.0.1:9000\"\n", `2 proxy-auth.listen: needs at least one [[proxy-auth.node]]`},
		{"socketmap no node", "[proxy-auth]\nsocketmap-listen = \"127.0.0.1:9001\"\n", `2 proxy-auth.socketmap-listen: needs at least one`},
		{"secret twice", "[proxy-auth]\nsecret = \"x\"\nsecret-file = \"/etc/s\"\n", `3 proxy-auth.secret-file: set secret or secret-file, not both`},
		{"owners-file relative", "[proxy-auth]\nowners-file = \"owners\"\n", `2 proxy-auth.owners-file: "owners" is not an absolute path`},
		{"max-attempts", "[proxy-auth]\nmax-attempts = 0\n", `2 proxy-auth.max-attempts: 0 is too small`},
		{"check-timeout", "[proxy-auth]\ncheck-timeout = \"-1s\"\n", `2 proxy-auth.check-timeout: "-1s" is negative`},
		{"name missing", "[[proxy-auth.node]]\nimap = \"10.0.0.1:143\"\n", `1 proxy-auth.node.name: missing`},
		{"name twice", node + "[[proxy-auth.node]]\nname = \"a\"\nimap = \"10.0.0.2:143\"\n", `6 proxy-auth.node.name: "a" is already the name of node number 1`},
		{"name blank", "[[proxy-auth.node]]\nname = \"a b\"\nimap = \"10.0.0.1:143\"\n", `2 proxy-auth.node.name: "a b": a node name has no blanks`},
		{"imap host name", "[[proxy-auth.node]]\nname = \"a\"\nimap = \"mail1:143\"\n", `3 proxy-auth.node.imap: "mail1:143" is not an IP address and port`},
		{"imap missing", "[[proxy-auth.node]]\nname = \"a\"\n", `1 proxy-auth.node.imap: missing`},
		{"pop3", node + "pop3 = \"x\"\n", `5 proxy-auth.node.pop3: "x" is not an IP address and port`},
		{"lmtp", "[[proxy-auth.node]]\nname = \"a\"\nimap = \"10.0.0.1:143\"\nlmtp = \"/run/../x\"\n", `4 proxy-auth.node.lmtp: "/run/../x" is not a clean socket path`},
		{"lmtp needed", "[proxy-auth]\nsocketmap-listen = \"127.0.0.1:9001\"\n[[proxy-auth.node]]\nname = \"a\"\nimap = \"10.0.0.1:143\"\n", `3 proxy-auth.node.lmtp: missing; socketmap-listen`},
		{"pattern", node + "users = [\"[a\"]\n", `5 proxy-auth.node.users: pattern "[a"`},
		{"unknown key", node + "weight = 2\n", `5 unknown key "proxy-auth.node.weight"`},
	} {
		t.Run(tt.name, func(t *testing.T) { wantProblems(t, tt.src, tt.want) })
	}
}

func TestProxyAuthGood(t *testing.T) {
	c, err := Parse([]byte(`[proxy-auth]
listen = "127.0.0.1:9000"
socketmap-listen = "127.0.0.1:9001"
secret-file = "/etc/mailgate/proxy-secret"
owners-file = "/etc/mailgate/owners"
[[proxy-auth.node]]
name = "a"
imap = "10.0.0.1:143"
lmtp = "10.0.0.1:24"
users = ["admin*"]
hash = false
[[proxy-auth.node]]
name = "b"
imap = "[2001:db8::2]:143"
pop3 = "[2001:db8::2]:110"
lmtp = "/run/mailgate/lmtp.sock"
`), "m.toml")
	if err != nil {
		t.Fatal(err)
	}
	pa := c.ProxyAuth
	if pa.CheckTimeout != time.Second || pa.MaxAttempts != 5 || len(pa.Nodes) != 2 {
		t.Fatalf("%+v", pa)
	}
	// A node table that leaves hash out takes hashed users.
	if pa.Nodes[0].Hash || !pa.Nodes[1].Hash || pa.Nodes[1].POP3 != "[2001:db8::2]:110" {
		t.Errorf("nodes %+v", pa.Nodes)
	}
}
