package auth

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/GehirnInc/crypt/md5_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"golang.org/x/crypto/bcrypt"
)

// sqlCryptDecoy returns the learned decoy of an SQL back-end of crypt
// strings whose file is path, and what it logs.
func sqlCryptDecoy(t *testing.T, path string) (*learnedDecoy, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	d := newLearnedDecoy(path, cryptWork, func(v string) bool { return cryptWork(v) > 0 && buildVerifies(v) },
		func(s string) string { return s }, slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return d, &log
}

// bcryptHash returns a bcrypt hash at cost of "user pw".
func bcryptHash(t *testing.T, cost int) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte("user pw"), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// A decoy made like a hash has its scheme and cost, a new salt, and is
// of the secret given, not of the password of the hash it copies.
func TestHashLike(t *testing.T) {
	sha, _ := sha512_crypt.New().Generate([]byte("user pw"), []byte("$6$rounds=6000$usersalt"))
	md5, _ := md5_crypt.New().Generate([]byte("user pw"), []byte("$1$usersalt$"))
	scram, err := HashSCRAM("user pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, stored := range []string{
		cheapHash(t, "user pw"),
		"{BLF-CRYPT}" + cheapHash(t, "user pw"),
		sha,
		"{SHA512-CRYPT}" + sha,
		"$5$usersalt$" + strings.Repeat("a", 43),
		"$argon2id$v=19$m=1024,t=2,p=2$c29tZXNhbHQ$kEfNQbPvk6Q7hokW6Jrvn1Mjb9kdT/I7OXVDKsviazk",
		"$argon2i$v=19$m=1024,t=2,p=1$c29tZXNhbHQ$kEfNQbPvk6Q7hokW6Jrvn1Mjb9kdT/I7OXVDKsviazk",
		scram,
		md5,
		"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7",
	} {
		v, err := hashLike(stored, "secret")
		if err != nil {
			t.Errorf("%.20s: %v", stored, err)
			continue
		}
		if v == stored || schemeOf(strings.TrimPrefix(v, "{BLF-CRYPT}")) == "" || cryptWork(v) != cryptWork(stored) {
			t.Errorf("%.20s: made %.40q, want another hash of the same cost (%v, got %v)", stored, v, cryptWork(stored), cryptWork(v))
		}
		if p, _, _ := strings.Cut(stored, "}"); strings.HasPrefix(stored, "{") && !strings.HasPrefix(v, p+"}") {
			t.Errorf("%.20s: made %.40q, want the same {SCHEME}", stored, v)
		}
		if !buildVerifies(v) {
			continue // $y$ in a build without libcrypt, in another form
		}
		if ok, err := verifyCrypt(context.Background(), v, "secret"); !ok || err != nil {
			t.Errorf("%.20s: the secret does not match %.40q (%v)", stored, v, err)
		}
		if ok, _ := verifyCrypt(context.Background(), v, "user pw"); ok {
			t.Errorf("%.20s: the user's password matches the decoy made like it", stored)
		}
	}
	if _, err := hashLike("abJnggxhB/yWI", "secret"); err == nil {
		t.Error("a DES hash: a decoy was made; want an error (the decoy then stays in the process)")
	}
}

// A process that learns a decoy keeps it in the data directory, as a hash
// of a random secret; the next process reads it and verifies it for an
// unknown name. A hash that costs no more than the file's is not written
// again, and one over the cap writes cappedDecoyHash.
func TestLearnedDecoyFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), SQLDecoyFile)
	first, _ := sqlCryptDecoy(t, path)
	if got := first.hash(); got != dummyHash {
		t.Fatalf("without a file the decoy is %.30q, want dummyHash", got)
	}
	sha, _ := sha512_crypt.New().Generate([]byte("user pw"), []byte("$6$usersalt$"))
	first.saw(ctx, sha)
	if got := first.hash(); got != sha {
		t.Errorf("after a SHA-crypt login the decoy is %.30q, want that hash", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kept := strings.TrimSuffix(string(data), "\n")
	if !strings.HasPrefix(kept, "$6$") || kept == sha || cryptWork(kept) != cryptWork(sha) {
		t.Fatalf("the file holds %.30q, want another SHA-512-crypt hash of the same rounds", kept)
	}
	if ok, _ := verifyCrypt(ctx, kept, "user pw"); ok {
		t.Fatal("the user's password matches the kept decoy")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode is %v, want 0600", fi.Mode().Perm())
	}
	next, _ := sqlCryptDecoy(t, path)
	if got := next.hash(); got != kept {
		t.Errorf("a new process's decoy is %.30q, want the file's %.30q", got, kept)
	}
	// The same cost again, or a cheaper one: nothing is written.
	next.saw(ctx, sha)
	next.saw(ctx, "$5$usersalt$"+strings.Repeat("a", 43))
	if again, _ := os.ReadFile(path); string(again) != string(data) {
		t.Errorf("the file changed to %.30q after no costlier hash", again)
	}
	// A costlier hash replaces it; one over the cap writes the cap.
	next.saw(ctx, bcryptHash(t, 5))
	if got, _ := os.ReadFile(path); !strings.HasPrefix(string(got), "$2a$05$") {
		t.Errorf("after a costlier bcrypt login the file holds %.30q, want bcrypt at cost 5", got)
	}
	next.saw(ctx, "$2a$13$"+strings.Repeat("a", 53))
	if got, _ := os.ReadFile(path); string(got) != cappedDecoyHash+"\n" || next.hash() != cappedDecoyHash {
		t.Errorf("after a hash over the cap the file holds %.30q and the decoy is %.30q, want cappedDecoyHash", got, next.hash())
	}
	// A process that started before the file was written does not
	// write back a cheaper decoy: it takes the file's.
	first.saw(ctx, "$6$rounds=9000$usersalt$"+strings.Repeat("a", 86))
	if got, _ := os.ReadFile(path); string(got) != cappedDecoyHash+"\n" {
		t.Errorf("an older process overwrote the file with %.30q", got)
	}
	if first.hash() != cappedDecoyHash {
		t.Errorf("the older process's decoy is %.30q, want the file's", first.hash())
	}
}

// A file that is not a decoy this back-end may trust is ignored with a
// warning (the floor applies), and replaced at the next login that shows
// a hash.
func TestLearnedDecoyBadFile(t *testing.T) {
	ctx := context.Background()
	sha, _ := sha512_crypt.New().Generate([]byte("user pw"), []byte("$6$usersalt$"))
	for name, make := range map[string]func(path string) error{
		"garbage":         func(p string) error { return os.WriteFile(p, []byte("not a hash\n"), 0o600) },
		"plain text":      func(p string) error { return os.WriteFile(p, []byte("{PLAIN}secret\n"), 0o600) },
		"two lines":       func(p string) error { return os.WriteFile(p, []byte(sha+"\n"+sha+"\n"), 0o600) },
		"over the cap":    func(p string) error { return os.WriteFile(p, []byte("$2a$14$"+strings.Repeat("a", 53)), 0o600) },
		"too long":        func(p string) error { return os.WriteFile(p, bytes.Repeat([]byte("a"), 2*maxDecoyFileSize), 0o600) },
		"a directory":     func(p string) error { return os.Mkdir(p, 0o700) },
		"a symbolic link": func(p string) error { return os.Symlink("/etc/passwd", p) },
		"another owner": func(p string) error {
			if os.Geteuid() != 0 {
				t.Skip("only root gives a file away")
			}
			if err := os.WriteFile(p, []byte(cappedDecoyHash+"\n"), 0o600); err != nil {
				return err
			}
			return os.Chown(p, 4321, 4321)
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), SQLDecoyFile)
			if err := make(path); err != nil {
				t.Fatal(err)
			}
			d, log := sqlCryptDecoy(t, path)
			if got := d.hash(); got != dummyHash {
				t.Errorf("the decoy is %.30q, want the floor, dummyHash", got)
			}
			if n := strings.Count(log.String(), "level=WARN"); n != 1 {
				t.Errorf("logged %d warnings, want 1:\n%s", n, log)
			}
			d.saw(ctx, sha)
			if name == "a directory" {
				return // a rename cannot replace it; the decoy stays in the process
			}
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("after a login the file is %v, %v; want a regular file", fi, err)
			}
			if v, err := d.read(); err != nil || !strings.HasPrefix(v, "$6$") {
				t.Errorf("after a login the file holds %.30q, %v; want a SHA-512-crypt decoy", v, err)
			}
		})
	}
}

// A data directory that cannot be written keeps the decoy in the
// process: nothing is computed or written, and that is logged once, at
// debug level.
func TestLearnedDecoyUnwritable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "missing", SQLDecoyFile)
	d, log := sqlCryptDecoy(t, path)
	sha, _ := sha512_crypt.New().Generate([]byte("user pw"), []byte("$6$usersalt$"))
	d.saw(ctx, sha)
	d.saw(ctx, bcryptHash(t, 5))
	if got := d.hash(); !strings.HasPrefix(got, "$2a$05$") {
		t.Errorf("the decoy is %.30q, want the bcrypt hash seen", got)
	}
	if n := strings.Count(log.String(), "level=DEBUG"); n != 1 || strings.Contains(log.String(), "level=WARN") {
		t.Errorf("want one debug line, got:\n%s", log)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a file was written")
	}
}

// A lock file this process cannot open (here a directory; in life root's,
// left by a command run as root, which the daemon's user may not open)
// does not keep the learned decoy from its file.
func TestLearnedDecoyWithoutItsLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), SQLDecoyFile)
	if err := os.Mkdir(path+".lock", 0o700); err != nil {
		t.Fatal(err)
	}
	d, _ := sqlCryptDecoy(t, path)
	sha, _ := sha512_crypt.New().Generate([]byte("user pw"), []byte("$6$usersalt$"))
	d.saw(ctx, sha)
	if v, err := d.read(); err != nil || !strings.HasPrefix(v, "$6$") {
		t.Errorf("the file holds %.30q, %v; want a SHA-512-crypt decoy", v, err)
	}
}

// The login that shows a costlier hash may have hung up (its context
// ended): the decoy file is written all the same, since this process,
// which has learned the cost, never tries again.
func TestLearnedDecoyKeptAfterTheLoginEnded(t *testing.T) {
	path := filepath.Join(t.TempDir(), SQLDecoyFile)
	d, _ := sqlCryptDecoy(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sha, _ := sha512_crypt.New().Generate([]byte("user pw"), []byte("$6$usersalt$"))
	d.saw(ctx, sha)
	if v, err := d.read(); err != nil || !strings.HasPrefix(v, "$6$") {
		t.Errorf("the file holds %.30q, %v; want a SHA-512-crypt decoy", v, err)
	}
}
