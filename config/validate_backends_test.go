package config

import "testing"

func TestBadBackendValues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"virtdomain without passwd-dir", "[auth]\nauthentication = [\"virtdomain\"]\n",
			[]string{`1 auth.virtdomain.passwd-dir: empty; want an absolute path`}},
		{"virtdomain relative", "[auth]\nauthentication = [\"virtdomain\"]\n[auth.virtdomain]\npasswd-dir = \"domains\"\n",
			[]string{`4 auth.virtdomain.passwd-dir: "domains" is not an absolute path`}},
		{"min-uid", "[auth.system]\nmin-uid = -5\n", []string{`2 auth.system.min-uid: -5 is negative`}},
		{"pam service", "[auth]\nauthentication = [\"pam\"]\n[auth.pam]\nservice = \"../x\"\n",
			[]string{`4 auth.pam.service: "../x" is not a PAM service name`}},
		{"sql", "[auth]\nauthentication = [\"sql\"]\n[auth.sql]\ninterface = \"oracle\"\ngetpwnam = \"SELECT * FROM u WHERE n = 'bob'\"\npassword-type = \"md5\"\ndb = \"mail\"\ntimeout = \"0s\"\n",
			[]string{`4 auth.sql.interface: "oracle" is not valid; want "postgres" or "mysql"`,
				`5 auth.sql.getpwnam: "SELECT * FROM u WHERE n = 'bob'" has no $user`,
				`6 auth.sql.password-type: "md5" is not valid; want "plain", "hash" or "crypt"`,
				`8 auth.sql.timeout: "0s" must be longer than zero`}},
		{"sql without database", "[auth]\nauthentication = [\"sql\"]\n[auth.sql]\ngetpwnam = \"SELECT name FROM u WHERE n = $user\"\npasswd = \"x\"\npasswd-file = \"/etc/pw\"\n",
			[]string{`3 auth.sql.db: empty: name the database`, `6 auth.sql.passwd-file: set passwd or passwd-file, not both`}},
		{"ldap", "[auth]\nauthentication = [\"ldap\"]\n[auth.ldap]\nurl = \"ldaps://h\"\ntls = true\nbase = \"dc=x\"\ngetpwnam = \"(uid=$user\"\nmethod = \"peek\"\npassfile = \"/p\"\n",
			[]string{`5 auth.ldap.tls: true asks for StartTLS on an ldaps:// connection`,
				`7 auth.ldap.getpwnam: "(uid=$user": unbalanced parentheses`,
				`8 auth.ldap.method: "peek" is not valid; want "bind" or "compare"`,
				`9 auth.ldap.passfile: needs binddn`}},
		{"ldap url", "[auth]\nauthentication = [\"ldap\"]\n[auth.ldap]\nurl = \"ldap.example.org\"\nbase = \"dc=x\"\n",
			[]string{`4 auth.ldap.url: "ldap.example.org" is not valid`}},
		{"radius", "[auth]\nauthentication = [\"radius\"]\n[auth.radius]\nserver = \"\"\nhome = \"vmail/$user\"\nretries = -1\nuid = -2\n",
			[]string{`3 auth.radius.secret: empty`, `4 auth.radius.server: "" is not valid`,
				`5 auth.radius.home: "vmail/$user" is not an absolute path`, `6 auth.radius.retries: -1 is negative`,
				`7 auth.radius.uid: -2 is not valid`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantProblems(t, tt.src, tt.want...) })
	}
}

func TestGoodBackendValues(t *testing.T) {
	for _, src := range []string{
		"[auth]\nauthentication = [\"users-file\", \"system\", \"pam\"]\n[auth.system]\nmin-uid = 0\n[auth.pam]\nservice = \"imap\"",
		"[auth]\nauthentication = [\"virtdomain\"]\n[auth.virtdomain]\npasswd-dir = \"/etc/mail/domains\"",
		"[auth]\nauthentication = [\"sql\"]\n[auth.sql]\ninterface = \"mysql\"\nhost = \"/run/mysqld/mysqld.sock\"\nuser = \"mail\"\npasswd-file = \"/etc/mailgate/db.pw\"\ndb = \"mail\"\ngetpwnam = \"SELECT name, dir FROM users WHERE name = '${user}'\"\ngetpass = \"SELECT pw FROM users WHERE name = $user\"\npassword-type = \"hash\"",
		"[auth]\nauthentication = [\"sql\"]\n[auth.sql]\ndsn = \"postgres://mail@db/mail?sslmode=verify-full\"\ngetpwnam = \"SELECT * FROM users WHERE name = $user\"",
		"[auth]\nauthentication = [\"ldap\"]\n[auth.ldap]\nurl = \"ldap://ldap.example.org\"\ntls = true\nbase = \"ou=people,dc=example,dc=org\"\nbinddn = \"cn=mail,dc=example,dc=org\"\npassfile = \"/etc/mailgate/ldap.pw\"\nmethod = \"compare\"",
		"[auth]\nauthentication = [\"users-file\", \"radius\"]\n[auth.radius]\nserver = \"radius.example.org\"\nsecret-file = \"/etc/mailgate/radius.secret\"\nhome = \"/var/vmail/$user\"\nuid = 5000\ngid = 5000",
	} {
		if _, err := Parse([]byte(src), "m.toml"); err != nil {
			t.Errorf("Parse(%q):\n%v", src, err)
		}
	}
}
