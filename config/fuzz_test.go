package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(DefaultFile())
	if data, err := os.ReadFile("testdata/design.toml"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"servr = 1\n[[server]]\nadress = 2\n",
		"server = [{address = \"127.0.0.1:1\"}, 3]\n",
		"[namespace.personal]\n[[namespace.personal.prefix]]\ndelimiter = \"\"\n",
		"a = \"\"\"\n\\\n\"\"\"\nb = '''x'''''\n",
		"[tls]\nacme = { domains = [\"a\",\n], email = 'x' }\n",
		"\"\\u0041\" = { \"b.c\" = [[1], {d = 2}] }\n",
		"[a.'b'.\"c\"]\n[[a.b.c.d]]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "f.toml")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("error %T is not a non-empty *Error: %v", err, err)
			}
			for _, p := range e.Problems {
				if !strings.HasPrefix(p.Error(), "f.toml") {
					t.Fatalf("problem does not name the file: %q", p.Error())
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate rejects: %v", err)
		}
		checkKeysFound(t, string(data))
	})
}

func FuzzMailboxMode(f *testing.F) {
	for _, s := range []string{"", "g=rw", "o=r", "g=rw,o=r", "o+r", "u=rw", "g=rwx", "g=,o="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMailboxMode(s)
		if err != nil {
			return
		}
		if m&^0o066 != 0 {
			t.Fatalf("ParseMailboxMode(%q) = %04o: bits beyond group and other rw", s, m)
		}
		back, err := ParseMailboxMode(MailboxMode(m).String())
		if err != nil || back != m {
			t.Fatalf("%q -> %04o -> %q -> %04o, %v", s, m, MailboxMode(m).String(), back, err)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"65536", "64KiB", "1 GB", "9000000TiB", "-1", "1.5M"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if back, err := ParseSize(n.String()); err != nil || back != n {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, n, n.String(), back, err)
		}
	})
}

func FuzzOctalMode(f *testing.F) {
	for _, s := range []string{"700", "0755", "2770", "17777", "8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseOctalMode(s)
		if err != nil {
			return
		}
		if back, err := ParseOctalMode(OctalMode(m).String()); err != nil || back != m {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, m, OctalMode(m).String(), back, err)
		}
	})
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"$home/$user", "${user}", "$", "${", "$$", "a${user"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := Expand(s, map[string]string{"user": "u", "home": "/h"}); !strings.Contains(s, "$") && got != s {
			t.Fatalf("Expand(%q) = %q without any variable", s, got)
		}
		if got := Expand(s, nil); got != s {
			t.Fatalf("Expand(%q, nil) = %q", s, got)
		}
		ParseMailboxPattern(s)
		ParsePreauth(s)
	})
}

func FuzzScanKeyLines(f *testing.F) {
	f.Add(DefaultFile())
	for _, s := range []string{
		"a.b = 1\n[c]\nd = [{e = 1}, {f = [2, {g = 3}]}]\n",
		"[[x]]\n[[x.y]]\nz = 1\n[[x]]\n[x.w]\n",
		"'k' = \"\"\"a\nb\"\"\"\n\"q\\\"\" = '''\n'''\n",
		"t = {a = 1,\n  b = 2, # c\n}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkKeysFound(t, string(data))
	})
}
