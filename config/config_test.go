package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/tlsmgr"
)

// mustParse parses src or fails the test.
func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse([]byte(src), "test.toml")
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	return c
}

func TestDefaultFileIsDefault(t *testing.T) {
	got, err := Parse(DefaultFile(), DefaultFileName)
	if err != nil {
		t.Fatalf("embedded default does not parse:\n%v", err)
	}
	got.src = nil
	want := Default()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(DefaultFile()) and Default() differ:\n got %+v\nwant %+v", got, want)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate():\n%v", err)
	}
}

func TestDefaultValues(t *testing.T) {
	c := Default()
	if c.Mode != ModeDaemon || !c.Foreground || len(c.Servers) != 1 {
		t.Fatalf("mode %q foreground %v servers %d", c.Mode, c.Foreground, len(c.Servers))
	}
	s := c.Servers[0]
	if s.Address != "127.0.0.1:1143" || s.TLSMode != tlsmgr.ModeNo || s.Timeout != 30*time.Minute {
		t.Errorf("server = %+v", s)
	}
	if s.MaxLineLength != 65536 || s.MaxLiteralSize.Bytes() != 64<<20 || s.MaxConnectionsPerAddress != 20 || s.MaxAuthFailures != 5 || s.AllowPlaintext {
		t.Errorf("server limits = %+v", s)
	}
	if c.Mailbox.MailboxPattern != "maildir:$mailhome/INBOX" || c.Mailbox.MailboxType != TypeMaildir {
		t.Errorf("mailbox = %+v", c.Mailbox)
	}
	if p := c.Namespace.Personal.Prefixes; len(p) != 1 || p[0].Prefix != "" || p[0].Directory != "$mailhome" {
		t.Errorf("personal prefixes = %+v", p)
	}
	if c.Auth.UsersFile != "" || c.UsersFile() != filepath.Join(c.DataDir, "users") {
		t.Errorf("users file %q resolves to %q", c.Auth.UsersFile, c.UsersFile())
	}
	if c.Logging.Level != LogInfo || c.HomeDirMode.FileMode() != 0o700 {
		t.Errorf("level %q home-dir-mode %v", c.Logging.Level, c.HomeDirMode)
	}
	if l := c.Logging; l.Destination != "stderr" || l.Format != LogText || l.SyslogFacility != "mail" {
		t.Errorf("logging = %+v", l)
	}
	if s.LoginTimeout != time.Minute || s.WriteTimeout != 5*time.Minute {
		t.Errorf("login-timeout %v write-timeout %v", s.LoginTimeout, s.WriteTimeout)
	}
	// ID before login tells a stranger the name and version, not the kernel.
	if !reflect.DeepEqual(c.IDFields, []string{"name", "version"}) {
		t.Errorf("id-fields = %q", c.IDFields)
	}
	a := c.Auth
	if a.LoginFailureLimit != 10 || a.AddressFailureLimit != 50 || a.LoginFailureWindow != 10*time.Minute ||
		a.LoginBlockTime != 15*time.Minute || a.LoginDelay != 500*time.Millisecond || a.LoginMaxDelay != 4*time.Second {
		t.Errorf("throttle settings = %+v", a)
	}
	// Each call is a new value.
	c.Servers[0].Address = "changed"
	c.IDFields[0] = "changed"
	if d := Default(); d.Servers[0].Address == "changed" || d.IDFields[0] == "changed" {
		t.Error("Default shares state between calls")
	}
}

func TestDesignExampleParses(t *testing.T) {
	c, err := Load("testdata/design.toml")
	if err != nil {
		t.Fatalf("Load:\n%v", err)
	}
	if len(c.Servers) != 1 || c.Servers[0].TLSMode != tlsmgr.ModeOnDemand || c.Servers[0].Timeout != 30*time.Minute {
		t.Errorf("servers = %+v", c.Servers)
	}
	// Keys the example leaves out keep their defaults.
	if c.Servers[0].MaxLineLength != 65536 || c.Servers[0].MaxAuthFailures != 5 {
		t.Errorf("server defaults lost: %+v", c.Servers[0])
	}
	if c.Mailbox.MailSpool != "/var/mail" || c.Mailbox.MailboxPattern != "" || c.Mailbox.MailboxType != TypeMbox {
		t.Errorf("mailbox = %+v", c.Mailbox)
	}
	if c.Locking.RetrySleep != time.Second || c.Locking.ExpireTimeout != 10*time.Minute {
		t.Errorf("locking = %+v", c.Locking)
	}
	pers := c.Namespace.Personal
	if pers.MailboxMode.FileMode() != 0o060 || len(pers.Prefixes) != 2 {
		t.Fatalf("personal = %+v", pers)
	}
	if p := pers.Prefixes[0]; p.Directory != "$home/mailfolder" || p.Delimiter != "/" || p.MailboxType != "" {
		t.Errorf("personal[0] = %+v", p)
	}
	if p := pers.Prefixes[1]; p.Prefix != "#MH:" || p.MailboxType != TypeMH {
		t.Errorf("personal[1] = %+v", p)
	}
	if p := c.Namespace.Other.Prefixes; len(p) != 1 || p[0].Prefix != "~" || p[0].Delimiter != "/" {
		t.Errorf("other = %+v", p)
	}
	if p := c.Namespace.Shared.Prefixes; len(p) != 1 || p[0].Directory != "/var/imap/shared" {
		t.Errorf("shared = %+v", p)
	}
	if len(c.ACL) != 1 || c.ACL[0].Action != ACLDeny || c.ACL[0].From != "10.0.0.0/8" {
		t.Errorf("acl = %+v", c.ACL)
	}
	if len(c.LMTP.Listen) != 2 || c.Auth.Mechanisms[1] != "LOGIN" {
		t.Errorf("lmtp %v auth %+v", c.LMTP.Listen, c.Auth)
	}
	// The example lists no cert-file checks: the defaults stay.
	if !reflect.DeepEqual(c.TLSFileChecks.CertFile, Default().TLSFileChecks.CertFile) {
		t.Errorf("cert-file checks = %v", c.TLSFileChecks.CertFile)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestLoadNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailgate.toml")
	if err := os.WriteFile(path, []byte("mode = \"daemon\"\nservr = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || err.Error() != path+`:2: unknown key "servr" (did you mean "server"?)` {
		t.Errorf("err = %v", err)
	}
}

func TestServerDefaultsPerEntry(t *testing.T) {
	c := mustParse(t, `
[[server]]
address = "0.0.0.0:143"
tls-mode = "required"
max-literal-size = "10MiB"
[[server]]
address = "0.0.0.0:993"
tls-mode = "connection"
timeout = "5m"
`)
	if len(c.Servers) != 2 {
		t.Fatalf("servers = %+v", c.Servers)
	}
	d := DefaultServer()
	s0, s1 := c.Servers[0], c.Servers[1]
	if s0.Timeout != d.Timeout || s0.MaxLiteralSize != 10<<20 || s0.MaxLineLength != d.MaxLineLength {
		t.Errorf("server 0 = %+v", s0)
	}
	if s1.Timeout != 5*time.Minute || s1.MaxLiteralSize != d.MaxLiteralSize || s1.MaxAuthFailures != d.MaxAuthFailures {
		t.Errorf("server 1 = %+v", s1)
	}
}

func TestInlineArrayOfTables(t *testing.T) {
	c := mustParse(t, `server = [{address = "127.0.0.1:1", tls-mode = "no"}, {address = "127.0.0.1:2"}]`)
	if len(c.Servers) != 2 || c.Servers[1].Address != "127.0.0.1:2" || c.Servers[1].Timeout != 30*time.Minute {
		t.Errorf("servers = %+v", c.Servers)
	}
}

func TestNormalize(t *testing.T) {
	c := mustParse(t, `
data-dir = "/srv/mailgate/"
[auth]
mechanisms = ["plain", "Login"]
[[namespace.personal.prefix]]
prefix = "#MH:"
directory = "$home/Mail"
`)
	if c.DataDir != "/srv/mailgate" || c.UsersFile() != "/srv/mailgate/users" || c.ACMEStorage() != "/srv/mailgate/acme" {
		t.Errorf("data-dir %q users %q acme %q", c.DataDir, c.UsersFile(), c.ACMEStorage())
	}
	if !reflect.DeepEqual(c.Auth.Mechanisms, []string{"PLAIN", "LOGIN"}) {
		t.Errorf("mechanisms = %v", c.Auth.Mechanisms)
	}
	want := []Prefix{
		{Prefix: "#MH:", Directory: "$home/Mail", Delimiter: "/"},
		{Prefix: "", Directory: "$mailhome", Delimiter: "/"},
	}
	if !reflect.DeepEqual(c.Namespace.Personal.Prefixes, want) {
		t.Errorf("personal prefixes = %+v", c.Namespace.Personal.Prefixes)
	}
}

func TestDefaultDataDir(t *testing.T) {
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		euid int
		env  map[string]string
		want string
	}{
		{0, map[string]string{"HOME": "/root"}, "/var/lib/mailgate"},
		{1000, map[string]string{"HOME": "/home/a", "XDG_DATA_HOME": "/x"}, "/x/mailgate"},
		{1000, map[string]string{"HOME": "/home/a", "XDG_DATA_HOME": "relative"}, "/home/a/.local/share/mailgate"},
		{1000, map[string]string{"HOME": "/home/a"}, "/home/a/.local/share/mailgate"},
		{1000, map[string]string{}, ""},
	}
	for _, tt := range tests {
		if got := defaultDataDir(tt.euid, env(tt.env)); got != tt.want {
			t.Errorf("defaultDataDir(%d, %v) = %q, want %q", tt.euid, tt.env, got, tt.want)
		}
	}
}

func TestErrorType(t *testing.T) {
	_, err := Parse([]byte("mode = \"x\"\n[logging]\nlevel = \"loud\"\n"), "m.toml")
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 2 {
		t.Fatalf("err = %#v", err)
	}
	if p := e.Problems[1]; p.File != "m.toml" || p.Line != 3 || p.Key != "logging.level" {
		t.Errorf("problem = %+v", p)
	}
	var p *Problem
	if !errors.As(err, &p) || p.Line != 1 {
		t.Errorf("errors.As(*Problem) = %+v", p)
	}
	if n := strings.Count(err.Error(), "\n"); n != 1 {
		t.Errorf("Error() has %d newlines:\n%v", n, err)
	}
}

func TestValidateWithoutSource(t *testing.T) {
	c := Default()
	c.Servers[0].TLSMode = 9
	err := c.Validate()
	if err == nil || err.Error() != `server.tls-mode: Mode(9) is not valid; want "no", "ondemand", "required" or "connection"` {
		t.Errorf("err = %v", err)
	}
}

func TestPlaintextAuthAllowed(t *testing.T) {
	tests := []struct {
		addr  string
		allow bool
		mode  tlsmgr.Mode
		want  bool
	}{
		{"127.0.0.1:143", false, tlsmgr.ModeNo, true},
		{"[::1]:143", false, tlsmgr.ModeOnDemand, true},
		{"localhost:143", false, tlsmgr.ModeNo, true},
		{"0.0.0.0:143", false, tlsmgr.ModeOnDemand, false},
		{":143", false, tlsmgr.ModeNo, false},
		{"192.0.2.1:143", true, tlsmgr.ModeOnDemand, true},
		// tls-mode required: no login before STARTTLS, anywhere.
		{"127.0.0.1:143", false, tlsmgr.ModeRequired, false},
		{"192.0.2.1:143", true, tlsmgr.ModeRequired, false},
	}
	for _, tt := range tests {
		s := Server{Address: tt.addr, AllowPlaintext: tt.allow, TLSMode: tt.mode}
		if got := s.PlaintextAuthAllowed(); got != tt.want {
			t.Errorf("%q allow %v %v: got %v", tt.addr, tt.allow, tt.mode, got)
		}
	}
}

func TestLogLevel(t *testing.T) {
	for l, want := range map[LogLevel]string{LogDebug: "DEBUG", LogInfo: "INFO", LogWarn: "WARN", LogError: "ERROR"} {
		if got := l.SlogLevel().String(); got != want {
			t.Errorf("%q.SlogLevel() = %s", l, got)
		}
	}
}
