package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func intp(n int) *int { return &n }

func TestEditRoundTrip(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "etc", "mailgate")
	path := filepath.Join(dir, "users")
	ctx := context.Background()

	users, err := ListUsers(path)
	if err != nil || len(users) != 0 {
		t.Fatalf("ListUsers of a missing file = %v, %v", users, err)
	}
	if err := AddUser(path, "alice", "alice pw", nil); err != nil {
		t.Fatal(err)
	}
	if err := addUserHashed(path, "bob", cheapHash(t, "bob pw"), &UserOptions{UID: intp(1002), GID: intp(0), Gecos: "Bob B", Home: "/home/bob", Shell: "/bin/false"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		mode os.FileMode
	}{{dir, os.ModeDir | 0o700}, {path, 0o600}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != c.mode {
			t.Errorf("%s mode = %v, want %v", c.path, fi.Mode(), c.mode)
		}
	}
	users, err = ListUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{Name: "alice", UID: -1, GID: -1},
		{Name: "bob", UID: 1002, GID: 0, Gecos: "Bob B", Home: "/home/bob", Shell: "/bin/false"},
	}
	if fmt.Sprint(users) != fmt.Sprint(want) {
		t.Errorf("ListUsers = %+v, want %+v", users, want)
	}

	u, err := LoadUsersFile(path, "/data", nil)
	if err != nil {
		t.Fatal(err)
	}
	if user, err := u.Authenticate(ctx, "bob", "bob pw"); err != nil || user.UID != 1002 {
		t.Errorf("bob: %v, %v", user, err)
	}
	if user, err := u.Authenticate(ctx, "alice", "alice pw"); err != nil || user.Home != "/data/alice" {
		t.Errorf("alice: %v, %v", user, err)
	}

	if err := addUserHashed(path, "alice", cheapHash(t, "x"), nil); !errors.Is(err, ErrUserExists) || !strings.Contains(err.Error(), path+":1:") {
		t.Errorf("adding alice again: %v", err)
	}
	if err := setPasswordHashed(path, "alice", cheapHash(t, "new pw")); err != nil {
		t.Fatal(err)
	}
	if err := DeleteUser(path, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := DeleteUser(path, "bob"); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("deleting bob twice: %v", err)
	}
	if err := setPasswordHashed(path, "bob", cheapHash(t, "pw")); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("SetPassword(bob): %v", err)
	}
	u, err = LoadUsersFile(path, "/data", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Authenticate(ctx, "alice", "new pw"); err != nil {
		t.Errorf("alice's new password: %v", err)
	}
	if _, err := u.Authenticate(ctx, "alice", "alice pw"); err == nil {
		t.Error("alice's old password still works")
	}
	if _, ok := u.Lookup("bob"); ok {
		t.Error("bob not deleted")
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".users.tmp*")); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestEditKeepsOtherLines(t *testing.T) {
	t.Parallel()
	content := "# mail users\n\ncarol:*::::/srv/carol\r\ndave:{PLAIN}d\n  # end\n"
	path := writeUsers(t, content)
	if err := SetPassword(path, "dave", "dave pw"); err != nil {
		t.Fatal(err)
	}
	if err := AddUser(path, "erin", "erin pw", nil); err != nil {
		t.Fatal(err)
	}
	if err := DeleteUser(path, "carol"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if len(lines) != 6 || lines[0] != "# mail users" || lines[1] != "" || lines[3] != "  # end" || lines[5] != "" {
		t.Fatalf("file = %q", data)
	}
	if !strings.HasPrefix(lines[2], "dave:$2a$10$") || strings.Count(lines[2], ":") != 1 {
		t.Errorf("dave's line = %q, want name:bcrypt", lines[2])
	}
	if !strings.HasPrefix(lines[4], "erin:$2a$10$") || !strings.HasSuffix(lines[4], ":::::") {
		t.Errorf("erin's line = %q, want seven fields", lines[4])
	}
}

func TestEditErrors(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users")
	for _, tc := range []struct {
		name, user, password string
		opts                 *UserOptions
		want                 string
	}{
		{"bad name", "a:b", "pw", nil, "contains ':'"},
		{"empty name", "", "pw", nil, "empty user name"},
		{"empty password", "a", "", nil, "password is empty"},
		{"long password", "a", strings.Repeat("p", 73), nil, "at most 72"},
		{"negative uid", "a", "pw", &UserOptions{UID: intp(-1)}, "uid -1 is out of range"},
		{"colon in gecos", "a", "pw", &UserOptions{Gecos: "x:y"}, "gecos"},
		{"newline in shell", "a", "pw", &UserOptions{Shell: "/bin/sh\n"}, "shell"},
		{"relative home", "a", "pw", &UserOptions{Home: "home/a"}, "not an absolute path"},
	} {
		err := AddUser(path, tc.user, tc.password, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a failed AddUser created the file")
	}

	bad := writeUsers(t, "ok:{PLAIN}x\nbroken\n")
	err := addUserHashed(bad, "new", cheapHash(t, "pw"), nil)
	if err == nil || !strings.Contains(err.Error(), bad+":2:") || !strings.Contains(err.Error(), "fix the file") {
		t.Errorf("editing a malformed file: %v", err)
	}
	if _, err := ListUsers(bad); err == nil {
		t.Error("ListUsers of a malformed file succeeded")
	}
}

func TestAddUserConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users")
	hash := cheapHash(t, "pw")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := addUserHashed(path, fmt.Sprintf("user%d", i), hash, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	users, err := ListUsers(path)
	if err != nil || len(users) != 4 {
		t.Errorf("ListUsers = %v, %v; want 4 users", users, err)
	}
}

// TestHasUsers: a user line anywhere counts, however it is spelled (the
// lines are not parsed: LoadUsersFile reports a bad one); blank and
// comment lines do not; a missing file has none; a file that cannot be
// read is an error.
func TestHasUsers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		name, content string
		want          bool
	}{
		{"empty", "", false},
		{"blank and comments", "\n  \n# alice:x\n\t# bob\r\n\n", false},
		{"one user", "alice:{PLAIN}pw\n", true},
		{"user after comments", "# users\n\nalice:{PLAIN}pw:::::\n", true},
		{"no final newline", "# users\nalice:{PLAIN}pw", true},
		{"bad line counts", "# users\nnot a user line\n", true},
		{"long comment", "# " + strings.Repeat("x", 100000) + "\n", false},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
		if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := HasUsers(path)
		if err != nil || got != c.want {
			t.Errorf("%s: HasUsers = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if got, err := HasUsers(filepath.Join(dir, "missing")); err != nil || got {
		t.Errorf("missing file: HasUsers = %v, %v; want false, nil", got, err)
	}
	if _, err := HasUsers(dir); err == nil {
		t.Errorf("a directory: HasUsers gave no error")
	}
}
