package config

import "testing"

func TestBadValues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line substring"
	}{
		{"mode", "foreground = true\nmode = \"standalone\"\n",
			[]string{`2 mode: "standalone" is not valid; want "daemon" or "inetd"`}},
		{"max-children", "max-children = -1\n", []string{`1 max-children: -1 is negative`}},
		{"data-dir relative", "data-dir = \"var/lib\"\n", []string{`1 data-dir: "var/lib" is not an absolute path`}},
		{"home-dir-mode not octal", "home-dir-mode = \"790\"\n", []string{`1 home-dir-mode: mode "790" is not an octal number`}},
		{"home-dir-mode too big", "home-dir-mode = \"17777\"\n", []string{`1 home-dir-mode: mode "17777" is larger than 7777`}},
		{"home-dir-mode integer", "home-dir-mode = 700\n", []string{`1 home-dir-mode: want an octal string such as "700", not an integer`}},
		{"preauth", "preauth = \"pam\"\n", []string{`1 preauth: preauth "pam" is not valid`}},
		{"preauth prog relative", "preauth = \"prog://bin/x\"\n", []string{`1 preauth: preauth "prog://bin/x": want "prog:///absolute/path args..."`}},
		{"preauth prog variable", "preauth = \"prog:///bin/x ${client}\"\n", []string{`1 preauth: preauth "prog:///bin/x ${client}": unknown variable $client`}},
		{"preauth ident port", "preauth = \"ident://:port!\"\n", []string{`1 preauth: preauth "ident://:port!": want`}},
		{"ident-encrypt-only", "ident-encrypt-only = true\n", []string{`1 ident-encrypt-only: true needs ident-keyfile`}},
		{"id-fields", "id-fields = [\"name\",\n  \"colour\"]\n", []string{`2 id-fields: "colour" is not an ID field`}},
		{"id-fields twice", "id-fields = [\"name\", \"name\"]\n", []string{`1 id-fields: "name" is listed twice`}},
		{"no server", "mode = \"daemon\"\nserver = []\n", []string{`2 server: daemon mode needs at least one [[server]]`}},
		{"no server is fine in inetd mode", "mode = \"inetd\"\nserver = []\nmode-x = 1\n", []string{`3 unknown key "mode-x"`}},
		{"address", "[[server]]\naddress = \"127.0.0.1:1\"\n[[server]]\naddress = \"localhost\"\n",
			[]string{`4 server.address: "localhost" is not host:port`}},
		{"address port", "[[server]]\naddress = \"127.0.0.1:99999\"\n", []string{`2 server.address: "127.0.0.1:99999": port "99999"`}},
		{"address twice", "[[server]]\naddress = \"127.0.0.1:1\"\n[[server]]\naddress = \"127.0.0.1:1\"\n",
			[]string{`4 server.address: "127.0.0.1:1" is already the address of [[server]] number 1`}},
		{"address defaulted twice", "[[server]]\ntls-mode = \"no\"\n[[server]]\ntls-mode = \"no\"\n",
			[]string{`3 server.address: "127.0.0.1:1143" is already the address`}},
		{"tls-mode", "[[server]]\naddress = \"127.0.0.1:1\"\n[[server]]\naddress = \"127.0.0.1:2\"\ntls-mode = \"starttls\"\n",
			[]string{`5 server.tls-mode: "starttls" is not valid; want "no", "ondemand", "required" or "connection"`}},
		{"timeout", "[[server]]\ntimeout = \"30 minutes\"\n", []string{`2 server.timeout: "30 minutes" is not a duration`}},
		{"timeout negative", "[[server]]\ntimeout = \"-1s\"\n", []string{`2 server.timeout: "-1s" is negative`}},
		{"max-line-length small", "[[server]]\nmax-line-length = 100\n", []string{`2 server.max-line-length: 100 is too small`}},
		{"max-line-length unit", "[[server]]\nmax-line-length = \"64 parsecs\"\n", []string{`2 server.max-line-length: size "64 parsecs" has an unknown unit`}},
		{"max-literal-size", "[[server]]\nmax-literal-size = 0\n", []string{`2 server.max-literal-size: 0 is too small`}},
		{"max-literal-size negative", "[[server]]\nmax-literal-size = -5\n", []string{`2 server.max-literal-size: size -5 is negative`}},
		{"max-connections-per-address", "[[server]]\nmax-connections-per-address = -1\n", []string{`2 server.max-connections-per-address: -1 is negative`}},
		{"max-auth-failures", "[[server]]\nmax-auth-failures = -1\n", []string{`2 server.max-auth-failures: -1 is negative`}},
		{"mailbox-type", "[mailbox]\nmailbox-type = \"mbx\"\n", []string{`2 mailbox.mailbox-type: "mbx" is not valid; want "mbox", "maildir" or "mh"`}},
		{"mailbox-pattern type", "[mailbox]\nmailbox-pattern = \"imap:$home/x\"\n", []string{`2 mailbox.mailbox-pattern: mailbox pattern "imap:$home/x": unknown type "imap"`}},
		{"mailbox-pattern relative", "[mailbox]\nmailbox-pattern = \"maildir:Maildir\"\n", []string{`2 mailbox.mailbox-pattern: "Maildir" is not an absolute path`}},
		{"mailbox-pattern variable", "[mailbox]\nmailbox-pattern = \"/var/mail/$uid\"\n", []string{`2 mailbox.mailbox-pattern: "/var/mail/$uid" uses $uid`}},
		{"mail-spool", "[mailbox]\nmail-spool = \"spool\"\n", []string{`2 mailbox.mail-spool: "spool" is not an absolute path`}},
		{"no inbox", "[mailbox]\nmail-spool = \"\"\nmailbox-pattern = \"\"\n", []string{`3 mailbox.mailbox-pattern: empty, and so is mail-spool`}},
		{"locking type", "[locking]\ntype = \"flock\"\n", []string{`2 locking.type: "flock" is not valid; want "dotlock", "kernel" or "null"`}},
		{"retry-count", "[locking]\nretry-count = -2\n", []string{`2 locking.retry-count: -2 is negative`}},
		{"retry-sleep", "[locking]\nretry-sleep = \"1\"\n", []string{`2 locking.retry-sleep: "1" is not a duration`}},
		{"expire-timeout", "[locking]\nexpire-timeout = 600\n", []string{`2 locking.expire-timeout: want a duration string`}},
		{"mailbox-mode", "[namespace.other]\nmailbox-mode = \"u=rw\"\n", []string{`2 namespace.other.mailbox-mode: mailbox-mode "u=rw": "u=rw" must start with g (group) or o (others)`}},
		{"delimiter empty", "[[namespace.personal.prefix]]\nprefix = \"\"\ndirectory = \"$home\"\n[[namespace.personal.prefix]]\nprefix = \"#MH:\"\ndirectory = \"$home/Mail\"\ndelimiter = \"\"\n",
			[]string{`7 namespace.personal.prefix.delimiter: "" must be exactly one character`}},
		{"delimiter long", "[[namespace.shared.prefix]]\nprefix = \"#s/\"\ndirectory = \"/srv\"\ndelimiter = \"//\"\n",
			[]string{`4 namespace.shared.prefix.delimiter: "//" must be exactly one character`}},
		{"delimiter unicode is one character", "[[namespace.shared.prefix]]\nprefix = \"#s/\"\ndirectory = \"/srv\"\ndelimiter = \"§\"\nx = 1\n",
			[]string{`5 unknown key "namespace.shared.prefix.x"`}},
		{"directory missing", "[[namespace.shared.prefix]]\nprefix = \"#shared/\"\n",
			[]string{`1 namespace.shared.prefix.directory: missing; say where the mailboxes of prefix "#shared/" are`}},
		{"directory relative", "[[namespace.shared.prefix]]\nprefix = \"#shared/\"\ndirectory = \"shared\"\n",
			[]string{`3 namespace.shared.prefix.directory: "shared" is not an absolute path`}},
		{"prefix type", "[[namespace.shared.prefix]]\nprefix = \"#s/\"\ndirectory = \"/srv\"\nmailbox-type = \"MH\"\n",
			[]string{`4 namespace.shared.prefix.mailbox-type: "MH" is not valid`}},
		{"prefix twice", "[[namespace.other.prefix]]\nprefix = \"~\"\ndirectory = \"/a/$user\"\n[[namespace.shared.prefix]]\nprefix = \"~\"\ndirectory = \"/b\"\n",
			[]string{`5 namespace.shared.prefix.prefix: "~" is already a prefix of [namespace.other]`}},
		{"certificate without key", "[tls]\ncertificate-file = \"/etc/ssl/c.pem\"\n", []string{`2 tls.certificate-file: needs key-file`}},
		{"key without certificate", "[tls]\nkey-file = \"/etc/ssl/k.pem\"\n", []string{`2 tls.key-file: needs certificate-file`}},
		{"acme domain", "[tls.acme]\ndomains = [\"mail.example.org\", \"https://x\"]\n", []string{`2 tls.acme.domains: "https://x" is not a domain name`}},
		{"acme email", "[tls.acme]\nemail = \"postmaster\"\n", []string{`2 tls.acme.email: "postmaster" is not an email address`}},
		{"acme ca", "[tls.acme]\nca = \"letsencrypt\"\n", []string{`2 tls.acme.ca: "letsencrypt" is not an ACME directory URL`}},
		{"file checks", "[tls-file-checks]\ncert-file = [\"all\", \"-gwrdir\", \"worldwritable\"]\n", []string{`2 tls-file-checks.cert-file: unknown check "worldwritable"`}},
		{"authentication", "[auth]\nauthentication = [\"users-file\", \"ldap\"]\n", []string{`2 auth.authentication: "ldap" is not valid; want "users-file", "system" or "virtdomain"`}},
		{"authentication empty", "[auth]\nauthentication = []\n", []string{`2 auth.authentication: empty; list at least one`}},
		{"mechanism", "[auth]\nmechanisms = [\"PLAIN\", \"DIGEST MD5\"]\n", []string{`2 auth.mechanisms: "DIGEST MD5" is not a SASL mechanism name`}},
		{"mechanism twice", "[auth]\nmechanisms = [\"PLAIN\", \"plain\"]\n", []string{`2 auth.mechanisms: "PLAIN" is listed twice`}},
		{"acl action", "[[acl]]\naction = \"allow\"\nfrom = \"any\"\n[[acl]]\naction = \"reject\"\nfrom = \"any\"\n", []string{`5 acl.action: "reject" is not valid; want "allow" or "deny"`}},
		{"acl from", "[[acl]]\naction = \"deny\"\nfrom = \"10.0.0.0/33\"\n", []string{`3 acl.from: "10.0.0.0/33" is not "any", a CIDR prefix`}},
		{"acl from hostname", "[[acl]]\naction = \"deny\"\nfrom = \"example.org\"\n", []string{`3 acl.from: "example.org" is not "any"`}},
		{"acl missing keys", "[[acl]]\n", []string{`1 acl.action: missing`, `1 acl.from: missing`}},
		{"lmtp listen", "[lmtp]\nlisten = [\"/run/lmtp.sock\",\n  \"lmtp.sock\"]\n", []string{`3 lmtp.listen: "lmtp.sock" is not host:port`}},
		{"lmtp twice", "[lmtp]\nlisten = [\"127.0.0.1:24\", \"127.0.0.1:24\"]\n", []string{`2 lmtp.listen: "127.0.0.1:24" is listed twice`}},
		{"log level", "[logging]\nlevel = \"trace\"\n", []string{`2 logging.level: "trace" is not valid; want "debug", "info", "warn" or "error"`}},
		{"all together", "mode = \"x\"\n[[server]]\ntls-mode = \"y\"\n[logging]\nlevel = \"z\"\n",
			[]string{`1 mode:`, `3 server.tls-mode:`, `5 logging.level:`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantProblems(t, tt.src, tt.want...) })
	}
}

func TestGoodValues(t *testing.T) {
	tests := []string{
		"preauth = \"stdio\"",
		"preauth = \"ident\"",
		"preauth = \"ident://:113\"",
		"preauth = \"ident://:auth\"",
		"preauth = \"ident://10.0.0.1:1113\"",
		"preauth = \"prog:///usr/sbin/auth ${client_address} ${client_port} ${server_address} ${server_port}\"",
		"home-dir-mode = \"0750\"",
		"id-fields = []",
		"id-fields = [\"name\", \"version\", \"vendor\", \"support-url\", \"address\", \"os\", \"os-version\", \"command\", \"arguments\", \"environment\"]",
		"mode = \"inetd\"\nserver = []",
		"[[server]]\naddress = \":993\"\ntls-mode = \"connection\"\nmax-line-length = \"8KiB\"\nmax-literal-size = \"1 GB\"",
		"[[server]]\naddress = \"[::]:imap\"",
		"[mailbox]\nmailbox-pattern = \"\"",
		"[mailbox]\nmailbox-pattern = \"mbox:///var/mail/${user}\"",
		"[mailbox]\nmailbox-pattern = \"$home/Maildir\"",
		"[[namespace.other.prefix]]\nprefix = \"~\"\ndirectory = \"/var/imap/$user\"\nmailbox-type = \"mbox\"",
		"[namespace.personal]\nmailbox-mode = \"g=rw,o+r\"",
		"[tls]\ncertificate-file = \"/c\"\nkey-file = \"/k\"\nca-file = \"/ca\"",
		"[tls.acme]\ndomains = [\"mail.example.org\"]\nemail = \"a@example.org\"\nca = \"https://acme-staging-v02.api.letsencrypt.org/directory\"",
		"[tls-file-checks]\nkey-file = [\"none\"]\nca-file = [\"all\", \"-ardfil\", \"+linkwrdir\"]",
		"[auth]\nauthentication = [\"system\", \"users-file\"]\nmechanisms = []",
		"preauth-only = true\npreauth = \"stdio\"\n[auth]\nauthentication = []",
		"[[acl]]\naction = \"allow\"\nfrom = \"::1\"\n[[acl]]\naction = \"deny\"\nfrom = \"any\"",
		"[lmtp]\nlisten = [\"/run/mailgate/lmtp.sock\", \"127.0.0.1:2424\"]",
		"[logging]\nlevel = \"debug\"",
	}
	for _, src := range tests {
		if _, err := Parse([]byte(src), "m.toml"); err != nil {
			t.Errorf("Parse(%q):\n%v", src, err)
		}
	}
}
