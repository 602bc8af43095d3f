package config

import (
	"strings"
	"testing"
)

// wantProblems parses src and checks that the problems, as "line: text"
// with the file name cut off, are exactly want, each given as a line and
// a substring of its message.
func wantProblems(t *testing.T, src string, want ...string) {
	t.Helper()
	_, err := Parse([]byte(src), "m.toml")
	if err == nil {
		t.Fatalf("no error; want %q", want)
	}
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v is not *Error", err, err)
	}
	if len(e.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(e.Problems), len(want), err)
	}
	for i, p := range e.Problems {
		got := strings.TrimPrefix(p.Error(), "m.toml:")
		line, text, _ := strings.Cut(want[i], " ")
		if !strings.HasPrefix(got, line+":") || !strings.Contains(got, text) {
			t.Errorf("problem %d = %q, want line %s containing %q", i, got, line, text)
		}
	}
}

func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"top level", "mode = \"daemon\"\n\nservr = 1\n",
			[]string{`3 unknown key "servr" (did you mean "server"?)`}},
		{"case matters", "Mode = \"daemon\"\n",
			[]string{`1 unknown key "Mode" (did you mean "mode"?)`}},
		{"in a table", "[mailbox]\nmail-spool = \"/var/mail\"\nmailbox-typo = \"mh\"\n",
			[]string{`3 unknown key "mailbox.mailbox-typo" (did you mean "mailbox-type"?)`}},
		{"unknown table", "[foo]\nbar = 1\nbaz = 2\n",
			[]string{`1 unknown key "foo"`}},
		{"second array element", "[[server]]\naddress = \"127.0.0.1:1\"\n\n[[server]]\naddress = \"127.0.0.1:2\"\nadress = \"x\"\n",
			[]string{`6 unknown key "server.adress" (did you mean "address"?)`}},
		{"same key in two elements", "[[server]]\naddress = \"127.0.0.1:1\"\nbogus = 1\n[[server]]\naddress = \"127.0.0.1:2\"\nbogus = 2\n",
			[]string{`3 unknown key "server.bogus"`, `6 unknown key "server.bogus"`}},
		{"nested array of tables", "[namespace.personal]\n[[namespace.personal.prefix]]\nprefix = \"\"\ndirectory = \"$home\"\n[[namespace.personal.prefix]]\nprefix = \"#MH:\"\ndirectory = \"$home/Mail\"\ndelimeter = \"/\"\n",
			[]string{`8 unknown key "namespace.personal.prefix.delimeter" (did you mean "delimiter"?)`}},
		{"unknown namespace", "[namespace.public]\nmailbox-mode = \"g=r\"\n",
			[]string{`1 unknown key "namespace.public"`}},
		{"dotted key", "tls.acme.domain = [\"a.example\"]\n",
			[]string{`1 unknown key "tls.acme.domain" (did you mean "domains"?)`}},
		{"inline table", "[tls]\nacme = { email = \"a@b.example\",\n  domainz = [] }\n",
			[]string{`3 unknown key "tls.acme.domainz" (did you mean "domains"?)`}},
		{"inline array of tables", "acl = [\n  {action = \"deny\", from = \"any\"},\n  {action = \"allow\", frm = \"any\"},\n]\n",
			[]string{`3 unknown key "acl.frm" (did you mean "from"?)`, `3 acl.from: missing`}},
		{"quoted key", "\"server name\" = 1\n",
			[]string{`1 unknown key "\"server name\""`}},
		{"after multi-line string", "pidfile = \"\"\"\n/run/\nx\"\"\"\nbad = 1\n",
			[]string{`4 unknown key "bad"`}},
		{"after multi-line array", "id-fields = [\n  \"name\", # comment ]\n  \"version\",\n]\nbad = 1\n",
			[]string{`5 unknown key "bad"`}},
		{"with validation errors", "mode = \"x\"\nbad = 1\n",
			[]string{`1 mode: "x" is not valid`, `2 unknown key "bad"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantProblems(t, tt.src, tt.want...) })
	}
}

func TestWrongTypes(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"bool", "foreground = \"yes\"\n", []string{`1 foreground: want true or false, not the string "yes"`}},
		{"int", "max-children = 1.5\n", []string{`1 max-children: want an integer, not a float 1.5`}},
		{"string", "pidfile = 3\n", []string{`1 pidfile: want a string, not an integer 3`}},
		{"list", "id-fields = \"name\"\n", []string{`1 id-fields: want an array`}},
		{"list element", "id-fields = [\"name\", 2]\n", []string{`1 id-fields: want a string, not an integer 2`}},
		{"table", "mailbox = 1\n", []string{`1 mailbox: want a table, not an integer 1`}},
		{"array of tables", "server = \"x\"\n", []string{`1 server: want tables ([[server]])`}},
		{"date", "pidfile = 1979-05-27\n", []string{`1 pidfile: want a string, not a date-time`}},
		{"duration as integer", "[[server]]\ntimeout = 30\n", []string{`2 server.timeout: want a duration string`}},
		{"several at once", "foreground = 1\n[[server]]\naddress = \"127.0.0.1:1\"\n[[server]]\naddress = \"127.0.0.1:2\"\ntranscript = \"no\"\n[logging]\nlevel = \"loud\"\n",
			[]string{`1 foreground: want true or false`, `6 server.transcript: want true or false`, `8 logging.level: "loud" is not valid`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantProblems(t, tt.src, tt.want...) })
	}
}

func TestSyntaxError(t *testing.T) {
	_, err := Parse([]byte("mode = \"daemon\"\nforeground = \n"), "m.toml")
	if err == nil || !strings.HasPrefix(err.Error(), "m.toml:2:14: toml: ") {
		t.Errorf("err = %v", err)
	}
	_, err = Parse([]byte("mode = \"daemon\"\nmode = \"inetd\"\n"), "m.toml")
	if err == nil || !strings.HasPrefix(err.Error(), "m.toml:2:") || !strings.Contains(err.Error(), "already been defined") {
		t.Errorf("duplicate key: err = %v", err)
	}
}
