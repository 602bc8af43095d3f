package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// cheapHash returns a bcrypt hash at the minimum cost, to keep tests fast.
func cheapHash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestParseUsers(t *testing.T) {
	alice := cheapHash(t, "alice pw")
	data := "# users\n" +
		"\n" +
		"alice:" + alice + ":1001:100:Alice A,,,:/home/alice:/bin/sh\n" +
		"  # indented comment\n" +
		"bob:{PLAIN}bobpw\n" +
		"carol:*::::/srv/carol:\r\n" +
		"dave:{PLAIN}x:0:0\n"
	tab, err := parseUsers([]byte(data), "/etc/users", "/var/lib/mailgate")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line int
		user User
	}{
		{3, User{Name: "alice", UID: 1001, GID: 100, Gecos: "Alice A,,,", Home: "/home/alice", Shell: "/bin/sh"}},
		{5, User{Name: "bob", UID: -1, GID: -1, Home: "/var/lib/mailgate/bob"}},
		{6, User{Name: "carol", UID: -1, GID: -1, Home: "/srv/carol"}},
		{7, User{Name: "dave", UID: 0, GID: 0, Home: "/var/lib/mailgate/dave"}},
	}
	if len(tab.entries) != len(want) {
		t.Fatalf("got %d entries, want %d", len(tab.entries), len(want))
	}
	for i, w := range want {
		e := tab.entries[i]
		if e.line != w.line || e.user != w.user {
			t.Errorf("entry %d = line %d %+v, want line %d %+v", i, e.line, e.user, w.line, w.user)
		}
	}
	if tab.plain != 2 {
		t.Errorf("plain = %d, want 2", tab.plain)
	}
	if tab.byName["carol"].hash.scheme != schemeLocked {
		t.Error("carol should be locked")
	}
}

func TestParseUsersErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		line       int
		want       string
	}{
		{"no colon", "# c\nalice\n", 2, "found no ':'"},
		{"no colon, CRLF lines", "a:{PLAIN}x\r\n\r\nalice\r\n", 3, "found no ':'"},
		{"no colon, no final newline", "a:{PLAIN}x\nalice", 2, "found no ':'"},
		{"too many fields", "a:{PLAIN}x:1:2:g:/h:/s:storage=1G:extra\n", 1, "9 fields"},
		{"bad quota field", "a:{PLAIN}x:1:2:g:/h:/s:extra\n", 1, `quota item "extra"`},
		{"empty name", "\n\n:{PLAIN}x\n", 3, "empty user name"},
		{"dot name", ".:{PLAIN}x\n", 1, `"." is not allowed`},
		{"dotdot name", "..:{PLAIN}x\n", 1, `".." is not allowed`},
		{"slash name", "a/b:{PLAIN}x\n", 1, "contains '/'"},
		{"space name", "a b:{PLAIN}x\n", 1, "contains ' '"},
		{"empty password", "ok:{PLAIN}x\nalice:\n", 2, "empty password field"},
		{"bad hash", "alice:secret\n", 1, `user "alice": unsupported password hash`},
		{"bad uid", "alice:{PLAIN}x:abc\n", 1, `uid: "abc" is not a number`},
		{"negative gid", "alice:{PLAIN}x:1:-1\n", 1, `gid: "-1" is not a number`},
		{"huge uid", "alice:{PLAIN}x:99999999999\n", 1, "out of range"},
		{"relative home", "alice:{PLAIN}x::::home/alice\n", 1, "not an absolute path"},
		{"duplicate", "alice:{PLAIN}x\n#\nalice:{PLAIN}y\n", 3, "already defined on line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseUsers([]byte(tc.data), "/etc/users", "/data")
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Line != tc.line || pe.Path != "/etc/users" {
				t.Errorf("error at %s:%d, want /etc/users:%d", pe.Path, pe.Line, tc.line)
			}
			prefix := "users: /etc/users:" + strconv.Itoa(tc.line) + ": "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want %q...%q", err, prefix, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("err %q repeats the password", err)
			}
		})
	}
}

// writeUsers writes a users file in a new temporary directory.
func writeUsers(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadForTest loads a users file with a test clock and a captured log.
func loadForTest(t *testing.T, path string) (*UsersFile, *testClock, *bytes.Buffer) {
	t.Helper()
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	u, err := LoadUsersFile(path, "/data", &UsersFileOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Unix(1_700_000_000, 0)}
	u.mu.Lock()
	u.now = clock.Now
	u.checkedAt = clock.Now()
	u.mu.Unlock()
	return u, clock, &logBuf
}

func TestAuthenticate(t *testing.T) {
	path := writeUsers(t, "alice:"+cheapHash(t, "alice pw")+":1001:100::/home/alice:\n"+
		"bob:{PLAIN}bob pw\n"+
		"carol:*\n"+
		"dave:!"+cheapHash(t, "dave pw")+"\n")
	u, _, logBuf := loadForTest(t, path)
	if !strings.Contains(logBuf.String(), "plaintext passwords") || strings.Count(logBuf.String(), "\n") != 1 {
		t.Errorf("log = %q, want one warning about plaintext passwords", logBuf)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{
		{"alice", "alice pw", true},
		{"alice", "alice pw ", false},
		{"alice", "", false},
		{"Alice", "alice pw", false},
		{"bob", "bob pw", true},
		{"bob", "bob p", false},
		{"carol", "", false},
		{"carol", "*", false},
		{"dave", "dave pw", false},
		{"nobody", "alice pw", false},
		{"bob", strings.Repeat("x", 1<<20), false},
		{"", "", false},
	} {
		user, err := u.Authenticate(ctx, tc.name, tc.password)
		if tc.ok {
			if err != nil || user == nil || user.Name != tc.name {
				t.Errorf("Authenticate(%q, %q) = %v, %v; want success", tc.name, tc.password, user, err)
			}
			continue
		}
		if !errors.Is(err, ErrBadCredentials) || user != nil {
			t.Errorf("Authenticate(%q, %q) = %v, %v; want ErrBadCredentials", tc.name, tc.password, user, err)
		}
	}
	user, _ := u.Authenticate(ctx, "alice", "alice pw")
	if *user != (User{Name: "alice", UID: 1001, GID: 100, Home: "/home/alice"}) {
		t.Errorf("alice = %+v", user)
	}
	user.Name = "changed" // a copy: the next call is not affected
	if again, _ := u.Lookup("alice"); again.Name != "alice" {
		t.Error("Authenticate returned shared state")
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := u.Authenticate(cancelled, "alice", "alice pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestLookup(t *testing.T) {
	u, _, _ := loadForTest(t, writeUsers(t, "carol:*::::/srv/carol\nerin:{PLAIN}e\n"))
	if got, ok := u.Lookup("carol"); !ok || got.Home != "/srv/carol" {
		t.Errorf("Lookup(carol) = %v, %v", got, ok)
	}
	if got, ok := u.Lookup("erin"); !ok || got.Home != "/data/erin" || got.UID != -1 {
		t.Errorf("Lookup(erin) = %+v, %v", got, ok)
	}
	if _, ok := u.Lookup("nobody"); ok {
		t.Error("Lookup(nobody) found a user")
	}
	if users := u.Users(); len(users) != 2 || users[0].Name != "carol" || users[1].Name != "erin" {
		t.Errorf("Users() = %+v", users)
	}
}

func TestUnknownUserCostsAHash(t *testing.T) {
	// The dummy borrows the file's costliest hash; a locked-only file uses
	// the built-in bcrypt hash.
	u, _, _ := loadForTest(t, writeUsers(t, "a:{PLAIN}x\nb:"+cheapHash(t, "b")+"\n"))
	if u.dummy.scheme != schemeBcrypt || u.dummy.encoded == dummyHash {
		t.Errorf("dummy = %v, want b's hash", u.dummy.scheme)
	}
	u, _, _ = loadForTest(t, writeUsers(t, "a:*\n"))
	if u.dummy.encoded != dummyHash {
		t.Error("dummy should be the built-in hash")
	}
	if _, err := parsePasswordHash(dummyHash); err != nil {
		t.Errorf("built-in dummy hash: %v", err)
	}
}

func TestLoadUsersFileErrors(t *testing.T) {
	if _, err := LoadUsersFile(filepath.Join(t.TempDir(), "missing"), "", nil); err == nil || !strings.HasPrefix(err.Error(), "users: ") {
		t.Errorf("missing file: err = %v", err)
	}
	path := writeUsers(t, "ok:{PLAIN}x\nbad\n")
	_, err := LoadUsersFile(path, "", nil)
	if err == nil || err.Error() != "users: "+path+":2: want name:password:uid:gid:gecos:home:shell, found no ':'" {
		t.Errorf("err = %v", err)
	}
}

func TestReload(t *testing.T) {
	path := writeUsers(t, "alice:{PLAIN}one\n")
	u, clock, logBuf := loadForTest(t, path)
	ctx := context.Background()

	replace := func(content string) {
		t.Helper()
		if err := writeFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}

	replace("alice:{PLAIN}two\nbob:{PLAIN}b\n")
	// Within the second: the old content still answers.
	clock.Advance(500 * time.Millisecond)
	if _, err := u.Authenticate(ctx, "alice", "one"); err != nil {
		t.Errorf("before the reload interval: %v", err)
	}
	clock.Advance(500 * time.Millisecond)
	if _, err := u.Authenticate(ctx, "alice", "two"); err != nil {
		t.Errorf("after the reload interval: %v", err)
	}
	if _, ok := u.Lookup("bob"); !ok {
		t.Error("bob not loaded")
	}

	// A malformed file keeps the old users and logs once.
	logBuf.Reset()
	replace("alice:{PLAIN}three\nbroken\n")
	for range 3 {
		clock.Advance(2 * time.Second)
		if _, err := u.Authenticate(ctx, "alice", "two"); err != nil {
			t.Errorf("malformed reload replaced the users: %v", err)
		}
	}
	if n := strings.Count(logBuf.String(), "not reloaded"); n != 1 {
		t.Errorf("logged %d reload errors, want 1: %s", n, logBuf)
	}
	if !strings.Contains(logBuf.String(), path+":2:") {
		t.Errorf("log does not name the line: %s", logBuf)
	}
	if err := u.Reload(); err == nil {
		t.Error("Reload of a malformed file succeeded")
	}

	// Fixed: loaded again. An in-place write with a new mtime is noticed too.
	if err := os.WriteFile(path, []byte("alice:{PLAIN}four\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	if _, err := u.Authenticate(ctx, "alice", "four"); err != nil {
		t.Errorf("after the fix: %v", err)
	}
	if _, ok := u.Lookup("bob"); ok {
		t.Error("bob still there")
	}

	// A vanished file keeps the users too.
	os.Remove(path)
	clock.Advance(2 * time.Second)
	if _, err := u.Authenticate(ctx, "alice", "four"); err != nil {
		t.Errorf("after removal: %v", err)
	}
}

func TestAuthenticateConcurrent(t *testing.T) {
	line := "alice:" + cheapHash(t, "pw") + "\n"
	path := writeUsers(t, line)
	u, clock, _ := loadForTest(t, path)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				clock.Advance(300 * time.Millisecond)
				if i == 0 {
					_ = writeFileAtomic(path, []byte(line))
				}
				if _, err := u.Authenticate(context.Background(), "alice", "pw"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
