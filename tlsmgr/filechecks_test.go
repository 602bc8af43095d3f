package tlsmgr

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseChecks(t *testing.T) {
	tests := []struct {
		name string
		list []string
		def  Checks
		want string // Checks.String, or the start of the error
	}{
		{"nil keeps the default", nil, DefaultKeyChecks, "grdfil,ardfil,gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"certificate default", nil, DefaultCertificateChecks, "gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"minus removes from the default", []string{"-grdfil"}, DefaultKeyChecks, "ardfil,gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"two removals", []string{"-grdfil", "-ardfil"}, DefaultKeyChecks, "gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"plus adds to the default", []string{"+grdfil"}, DefaultCertificateChecks, "grdfil,gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"a bare name adds, as in imap4d", []string{"ardfil"}, DefaultCertificateChecks, "ardfil,gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"none", []string{"none"}, DefaultKeyChecks, "none"},
		{"none then one", []string{"none", "gwrfil"}, DefaultKeyChecks, "gwrfil"},
		{"all", []string{"all"}, 0, "grdfil,ardfil,gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"-all is none", []string{"-all"}, DefaultKeyChecks, "none"},
		{"-none is all", []string{"-none"}, 0, "grdfil,ardfil,gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"all then minus", []string{"all", "-gwrdir", "-awrdir"}, 0, "grdfil,ardfil,gwrfil,awrfil,linkwrdir"},
		{"none then default", []string{"none", "default"}, DefaultCAChecks, "gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"-default", []string{"all", "-default"}, DefaultCertificateChecks, "grdfil,ardfil"},
		{"later items win", []string{"-gwrfil", "+gwrfil"}, 0, "gwrfil"},
		{"empty list keeps the default", []string{}, DefaultCAChecks, "gwrfil,awrfil,linkwrdir,gwrdir,awrdir"},
		{"unknown", []string{"worldwritable"}, DefaultKeyChecks, `error: unknown check "worldwritable"`},
		{"names are case-sensitive", []string{"GRDFIL"}, DefaultKeyChecks, `error: unknown check "GRDFIL"`},
		{"empty item", []string{""}, DefaultKeyChecks, `error: unknown check ""`},
		{"sign alone", []string{"-"}, DefaultKeyChecks, `error: unknown check "-"`},
		{"double sign", []string{"+-grdfil"}, DefaultKeyChecks, `error: unknown check "+-grdfil"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseChecks(tt.list, tt.def)
			got := c.String()
			if err != nil {
				got = "error: " + err.Error()
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("ParseChecks(%q) = %s, want %s", tt.list, got, tt.want)
			}
		})
	}
}

func FuzzParseChecks(f *testing.F) {
	for _, s := range []string{"", "none", "-grdfil,+ardfil", "all,-default", "-none", "gwrfil,linkwrdir", "+", "x,-all"} {
		f.Add(s, uint8(DefaultKeyChecks))
	}
	f.Fuzz(func(t *testing.T, s string, def uint8) {
		d := Checks(def) & AllChecks
		c, err := ParseChecks(strings.Split(s, ","), d)
		if err != nil {
			if c != 0 {
				t.Fatalf("error %v with checks %v", err, c)
			}
			return
		}
		if c&^AllChecks != 0 {
			t.Fatalf("checks %b outside AllChecks", c)
		}
		// What String and Names say parses back to the same set.
		back, err := ParseChecks(append([]string{"none"}, c.Names()...), AllChecks)
		if err != nil || back != c {
			t.Fatalf("round trip of %v gave %v, %v", c, back, err)
		}
		if c.String() == "" {
			t.Fatal("empty String")
		}
	})
}

// mkfile makes a file with mode perm in a new directory with mode dirPerm.
func mkfile(t *testing.T, perm, dirPerm os.FileMode) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, perm)
	chmod(t, dir, dirPerm)
	return path
}

func chmod(t *testing.T, path string, perm os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func TestCheckFile(t *testing.T) {
	tests := []struct {
		name      string
		perm, dir os.FileMode
		checks    Checks
		want      string // the failing check, or "" for none
	}{
		{"private key", 0o600, 0o700, DefaultKeyChecks, ""},
		{"key in a readable directory", 0o400, 0o755, DefaultKeyChecks, ""},
		{"group readable key", 0o644, 0o755, DefaultKeyChecks, "grdfil"},
		{"world readable key", 0o604, 0o755, DefaultKeyChecks, "ardfil"},
		{"group writable key", 0o620, 0o755, DefaultKeyChecks, "gwrfil"},
		{"world writable key", 0o602, 0o755, DefaultKeyChecks, "awrfil"},
		{"group writable directory", 0o600, 0o770, DefaultKeyChecks, "gwrdir"},
		{"world writable directory", 0o600, 0o757, DefaultKeyChecks, "awrdir"},
		{"0777 directory reports gwrdir first", 0o600, 0o777, DefaultKeyChecks, "gwrdir"},
		{"certificate may be readable", 0o644, 0o755, DefaultCertificateChecks, ""},
		{"certificate may not be writable", 0o664, 0o755, DefaultCertificateChecks, "gwrfil"},
		{"no checks", 0o666, 0o777, 0, ""},
		{"minus grdfil", 0o640, 0o755, DefaultKeyChecks &^ GroupReadable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := mkfile(t, tt.perm, tt.dir)
			err := CheckFile(path, tt.checks)
			var fe *FileCheckError
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("CheckFile = %v, want nil", err)
			case tt.want != "" && !errors.As(err, &fe):
				t.Fatalf("CheckFile = %v, want a refusal by %s", err, tt.want)
			case tt.want != "" && fe.Check != tt.want:
				t.Fatalf("refused by %s (%v), want %s", fe.Check, err, tt.want)
			}
		})
	}
}

// TestCheckFileMessage: imap4d 3.15 logs "/path/key.pem: Group readable
// file" for a 0644 key; ours starts the same and names the check.
func TestCheckFileMessage(t *testing.T) {
	path := mkfile(t, 0o644, 0o755)
	err := CheckFile(path, DefaultKeyChecks)
	want := path + ": Group readable file (tls-file-checks grdfil)"
	if err == nil || err.Error() != want {
		t.Fatalf("CheckFile = %v, want %s", err, want)
	}
	if err := CheckFile(filepath.Join(filepath.Dir(path), "missing"), DefaultKeyChecks); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestCheckFileLinks(t *testing.T) {
	safe := mkfile(t, 0o600, 0o700) // the target: private, in a private directory
	open := t.TempDir()
	chmod(t, open, 0o775)
	private := t.TempDir()
	chmod(t, private, 0o755)
	unsafeTarget := mkfile(t, 0o600, 0o777)

	n := 0
	link := func(dir, target string) string {
		n++
		p := filepath.Join(dir, fmt.Sprintf("link%d.pem", n))
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hard := filepath.Join(open, "hard.pem")
	if err := os.Link(safe, hard); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       string
	}{
		{"symbolic link in a safe directory to a safe file", link(private, safe), ""},
		{"symbolic link in a group-writable directory", link(open, safe), "linkwrdir"},
		{"hard link in a group-writable directory", hard, "linkwrdir"},
		{"symbolic link to a file in a world-writable directory", link(private, unsafeTarget), "gwrdir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckFile(tt.path, DefaultKeyChecks)
			var fe *FileCheckError
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckFile = %v", err)
				}
				return
			}
			if !errors.As(err, &fe) || fe.Check != tt.want {
				t.Fatalf("CheckFile = %v, want a refusal by %s", err, tt.want)
			}
		})
	}
	if got := (GroupReadable | InWorldWritableDir).Names(); !reflect.DeepEqual(got, []string{"grdfil", "awrdir"}) {
		t.Errorf("Names = %v", got)
	}
}
