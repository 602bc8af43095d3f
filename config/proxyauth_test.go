package config

import (
	"strings"
	"testing"
	"time"
)

func TestProxyAuthBadValues(t *testing.T) {
	node := "[[proxy-auth.node]]\nname = \"a\"\nimap = \"10.0.0.1:143\"\nlmtp = \"10.0.0.1:24\"\n"
	for _, tt := range []struct{ name, src, want string }{
		{"listen", "[proxy-auth]\nlisten = \"localhost\"\n" + node, `2 proxy-auth.listen: "localhost" is not host:port`},
		{"no node", "[proxy-auth]\nlisten = \"127.0.0.1:9000\"\n", `2 proxy-auth.listen: needs at least one [[proxy-auth.node]]`},
		{"listen remote without secret", "[proxy-auth]\nlisten = \"0.0.0.0:9000\"\n" + node, `2 proxy-auth.listen: "0.0.0.0:9000" is not a loopback address, and no secret is set`},
		{"listen on every interface without secret", "[proxy-auth]\nlisten = \":9000\"\n" + node, `2 proxy-auth.listen: ":9000" is not a loopback address`},
		{"listen on a name without secret", "[proxy-auth]\nlisten = \"auth.example.org:9000\"\n" + node, `2 proxy-auth.listen: "auth.example.org:9000" is not a loopback address`},
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

// The auth_http endpoint checks passwords for whoever asks and keys the
// login throttle on the Client-IP header it is sent. Open to others
// without a secret, it would let anyone guess passwords without limit
// (a new Client-IP each try) and block any user (failures sent with the
// victim's Client-IP): a listen address that is not loopback needs
// secret or secret-file, as [metrics] needs allow-remote.
func TestProxyAuthRemoteNeedsSecret(t *testing.T) {
	src := "[proxy-auth]\nlisten = \"0.0.0.0:9000\"\n[[proxy-auth.node]]\nname = \"a\"\nimap = \"10.0.0.1:143\"\n"
	_, err := Parse([]byte(src), "m.toml")
	if err == nil || !strings.Contains(err.Error(), "m.toml:2: proxy-auth.listen:") || !strings.Contains(err.Error(), "secret") {
		t.Errorf("[proxy-auth] listen on 0.0.0.0 with no secret: %v; want a problem at m.toml:2 naming the secret", err)
	}
	node := "[[proxy-auth.node]]\nname = \"a\"\nimap = \"10.0.0.1:143\"\n"
	for _, extra := range []string{
		"listen = \"127.0.0.1:9000\"\n",
		"listen = \"127.0.0.2:9000\"\n",
		"listen = \"[::1]:9000\"\n",
		"listen = \"[::ffff:127.0.0.1]:9000\"\n",
		"listen = \"localhost:9000\"\n",
		"listen = \"0.0.0.0:9000\"\nsecret = \"s\"\n",
		"listen = \"[::]:9000\"\nsecret-file = \"/etc/mailgate/proxy-secret\"\n",
		// Postfix's socketmap checks no password.
		"socketmap-listen = \"0.0.0.0:9001\"\n" + "[[proxy-auth.node]]\nname = \"b\"\nimap = \"10.0.0.2:143\"\nlmtp = \"10.0.0.2:24\"\n",
	} {
		src := "[proxy-auth]\n" + extra + node
		if strings.Contains(extra, "socketmap") {
			src = "[proxy-auth]\n" + extra
		}
		if _, err := Parse([]byte(src), "m.toml"); err != nil {
			t.Errorf("%q: %v", extra, err)
		}
	}
}
