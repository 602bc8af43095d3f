package config

import "testing"

// The keys of issue 10: each bad value is reported at its line.
func TestBadAccessValues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line substring"
	}{
		{"unknown mechanism", "[auth]\nmechanisms = [\"PLAIN\", \"CRAM-MD5\"]\n", []string{`2 auth.mechanisms: "CRAM-MD5" is not a mechanism mailgate serves`}},
		{"ANONYMOUS without a user", "[auth]\nmechanisms = [\"ANONYMOUS\"]\n", []string{`2 auth.mechanisms: ANONYMOUS needs [auth] anonymous-user`}},
		{"EXTERNAL without a CA", "[auth]\nmechanisms = [\"external\"]\n", []string{`2 auth.mechanisms: EXTERNAL needs [tls] ca-file`}},
		{"OAUTHBEARER without a key", "[auth]\nmechanisms = [\"OAUTHBEARER\"]\n", []string{`2 auth.mechanisms: OAUTHBEARER needs [auth.oauthbearer]`}},
		{"OAUTHBEARER without issuer and audience", "[auth]\nmechanisms = [\"OAUTHBEARER\"]\n[auth.oauthbearer]\njwks = \"http://idp.example/jwks\"\n",
			[]string{`3 auth.oauthbearer.issuer: missing`, `3 auth.oauthbearer.audience: missing`, `4 auth.oauthbearer.jwks: "http://idp.example/jwks" is not an https:// URL`}},
		{"introspection relative", "[auth]\nmechanisms = [\"OAUTHBEARER\"]\n[auth.oauthbearer]\nintrospection-command = \"check --token\"\n",
			[]string{`4 auth.oauthbearer.introspection-command: "check --token": want "/absolute/path args..."`}},
		{"external-username", "[auth]\nexternal-username = \"uid\"\n", []string{`2 auth.external-username: "uid" is not valid`}},
		{"preauth-timeout", "preauth-timeout = \"0s\"\n", []string{`1 preauth-timeout: "0s" must be longer than zero`}},
		{"preauth-only without preauth", "preauth-only = true\n", []string{`1 preauth-only: true needs preauth`}},
		{"deny-users", "deny-users = [\"a b\"]\n", []string{`1 deny-users: "a b" is not a user or group name`}},
		{"tcp-wrappers", "[tcp-wrappers]\nenable = true\ndaemon = \"\"\ndeny-table = \"hosts.deny\"\n",
			[]string{`3 tcp-wrappers.daemon: "" is not a daemon name`, `4 tcp-wrappers.deny-table: "hosts.deny" is not an absolute path`}},
		{"id-fields NAME=VALUE too long", "id-fields = [\"a-very-long-field-name-over-thirty-bytes=x\"]\n", []string{`1 id-fields: "a-very-long-field-name-over-thirty-bytes=x": the field name must be 1 to 30 bytes long`}},
		{"id-fields NAME=VALUE quote", "id-fields = ['x=a\"b']\n", []string{`1 id-fields: "x=a\"b" holds a control character, a quote or a backslash`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantProblems(t, tt.src, tt.want...) })
	}
}

func TestGoodAccessValues(t *testing.T) {
	for _, src := range []string{
		"id-fields = [\"name\", \"x-site=mail.example.org\", \"support-url=https://help.example.org/\", \"empty=\"]",
		"[auth]\nmechanisms = [\"SCRAM-SHA-256-PLUS\", \"SCRAM-SHA-256\", \"PLAIN\", \"LOGIN\"]",
		"[tls]\nca-file = \"/etc/ssl/clients.pem\"\ncertificate-file = \"/c\"\nkey-file = \"/k\"\n[auth]\nmechanisms = [\"EXTERNAL\"]\nexternal-username = \"email\"",
		"[auth]\nmechanisms = [\"ANONYMOUS\"]\nanonymous-user = \"guest\"",
		"[auth]\nmechanisms = [\"OAUTHBEARER\"]\n[auth.oauthbearer]\njwks = \"https://idp.example/jwks\"\nissuer = \"https://idp.example\"\naudience = \"imap\"",
		"[auth]\nmechanisms = [\"OAUTHBEARER\"]\n[auth.oauthbearer]\nintrospection-command = \"/usr/local/bin/check-token --realm mail\"",
		"allow-users = [\"alice\", \"bob\"]\ndeny-groups = [\"nomail\", \"1001\"]",
		"[tcp-wrappers]\nenable = true\ndaemon = \"imap4d\"",
		"preauth = \"ident\"\npreauth-only = true\npreauth-timeout = \"2s\"",
	} {
		if _, err := Parse([]byte(src), "m.toml"); err != nil {
			t.Errorf("Parse(%q):\n%v", src, err)
		}
	}
}
