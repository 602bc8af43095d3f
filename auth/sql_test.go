package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/GehirnInc/crypt/sha512_crypt"
)

// sqlServer is a database started for a test: how to reach it, and how
// to run SQL in it as its administrator.
type sqlServer struct {
	conn SQLOptions // Interface, Host, Port, User, Password, Database
	exec func(t *testing.T, sql string)
}

// startPostgres starts PostgreSQL on 127.0.0.1 (initdb and postgres as
// the postgres account when the test is root), with a role mailgate
// (password "db pw") that may read the table users of database mail.
func startPostgres(t *testing.T) *sqlServer {
	bin := needPrograms(t, "postgresql", "initdb", "postgres", "psql")
	dir, uid, gid := serverDir(t, "pg", "postgres")
	data := filepath.Join(dir, "data")
	run(t, asAccount(exec.Command(bin["initdb"], "-D", data, "-U", "postgres", "--auth-local=trust",
		"--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"), uid, gid))
	port := strconv.Itoa(freePort(t, "tcp"))
	startServer(t, dir, "postgres", asAccount(exec.Command(bin["postgres"], "-D", data, "-h", "127.0.0.1",
		"-p", port, "-k", dir, "-c", "fsync=off", "-c", "shared_buffers=8MB", "-c", "max_connections=20"), uid, gid))
	psql := func(db, sql string) *exec.Cmd {
		return exec.Command(bin["psql"], "-X", "-q", "-h", dir, "-p", port, "-U", "postgres", "-d", db,
			"-v", "ON_ERROR_STOP=1", "-c", sql)
	}
	waitReady(t, "postgres", func() bool { return psql("postgres", "SELECT 1").Run() == nil })
	run(t, psql("postgres", "CREATE ROLE mailgate LOGIN PASSWORD 'db pw'"))
	run(t, psql("postgres", "CREATE DATABASE mail"))
	run(t, psql("mail", "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO mailgate"))
	return &sqlServer{
		conn: SQLOptions{Interface: SQLPostgres, Host: "127.0.0.1", Port: atoi(t, port), User: "mailgate", Password: "db pw", Database: "mail"},
		exec: func(t *testing.T, sql string) { t.Helper(); run(t, psql("mail", sql)) },
	}
}

// startMariaDB starts MariaDB on 127.0.0.1 and a socket (mariadbd as the
// mysql account when the test is root), with a user mailgate (password
// "db pw") that may read the table users of database mail.
func startMariaDB(t *testing.T) *sqlServer {
	bin := needPrograms(t, "mariadb-server", "mariadb-install-db", "mariadbd", "mariadb")
	dir, _, _ := serverDir(t, "mariadb", "mysql")
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	run(t, exec.Command(bin["mariadb-install-db"], "--no-defaults", "--datadir="+data, "--user=mysql",
		"--auth-root-authentication-method=normal", "--skip-test-db"))
	port := strconv.Itoa(freePort(t, "tcp"))
	startServer(t, dir, "mariadbd", exec.Command(bin["mariadbd"], "--no-defaults", "--datadir="+data,
		"--socket="+sock, "--port="+port, "--bind-address=127.0.0.1", "--user=mysql", "--skip-log-bin",
		"--innodb-buffer-pool-size=16M", "--pid-file="+filepath.Join(dir, "pid")))
	mariadb := func(sql string) *exec.Cmd {
		return exec.Command(bin["mariadb"], "--no-defaults", "-S", sock, "-u", "root", "-e", sql)
	}
	waitReady(t, "mariadbd", func() bool { return mariadb("SELECT 1").Run() == nil })
	run(t, mariadb("CREATE DATABASE mail; CREATE USER 'mailgate'@'127.0.0.1' IDENTIFIED BY 'db pw'; "+
		"GRANT SELECT ON mail.* TO 'mailgate'@'127.0.0.1'"))
	return &sqlServer{
		conn: SQLOptions{Interface: SQLMySQL, Host: "127.0.0.1", Port: atoi(t, port), User: "mailgate", Password: "db pw", Database: "mail"},
		exec: func(t *testing.T, sql string) { t.Helper(); run(t, mariadb("USE mail; "+sql)) },
	}
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSQLPostgres(t *testing.T) { testSQL(t, startPostgres(t)) }
func TestSQLMariaDB(t *testing.T)  { testSQL(t, startMariaDB(t)) }

// testSQL runs the sql back-end against a real server: each password
// type, the user's fields, locked and unknown users, a name with a quote
// and one that tries SQL injection, an ambiguous query, the cache, and a
// server that is down.
func testSQL(t *testing.T, srv *sqlServer) {
	sha, err := sha512_crypt.New().Generate([]byte("ann pw"), []byte("$6$annsalt$"))
	if err != nil {
		t.Fatal(err)
	}
	annHash := cheapHash(t, "ann pw")
	srv.exec(t, `CREATE TABLE users (name VARCHAR(64) PRIMARY KEY, pw_plain VARCHAR(255), pw_hash VARCHAR(255),
		pw_crypt VARCHAR(255), uid INTEGER, gid INTEGER, gecos VARCHAR(255), dir VARCHAR(255), shell VARCHAR(255))`)
	srv.exec(t, fmt.Sprintf(`INSERT INTO users VALUES
		('ann', 'ann pw', '%s', '%s', 3001, 3000, 'Ann', '/home/ann', '/bin/sh'),
		('bob', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		('o''hara', 'quote pw', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		('lou', '!locked', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`, annHash, sha))
	ctx := context.Background()
	open := func(t *testing.T, o SQLOptions) *SQL {
		t.Helper()
		if o.DataDir == "" {
			o.DataDir = "/data"
		}
		s, err := OpenSQL(&o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	for _, typ := range []string{SQLPasswordPlain, SQLPasswordHash, SQLPasswordCrypt} {
		t.Run(typ, func(t *testing.T) {
			o := srv.conn
			o.GetPwnam = "SELECT name, uid, gid, gecos, dir, shell FROM users WHERE name = '${user}'"
			o.GetPass = "SELECT pw_" + typ + " FROM users WHERE name = $user"
			o.PasswordType = typ
			o.DataDir = t.TempDir()
			s := open(t, o)
			u, err := s.Authenticate(ctx, "ann", "ann pw")
			if err != nil {
				t.Fatal(err)
			}
			want := User{Name: "ann", UID: 3001, GID: 3000, Gecos: "Ann", Home: "/home/ann", Shell: "/bin/sh"}
			if *u != want {
				t.Errorf("ann = %+v, want %+v", *u, want)
			}
			for _, tc := range []struct{ name, pw string }{{"ann", "Ann pw"}, {"bob", "x"}} {
				if _, err := s.Authenticate(ctx, tc.name, tc.pw); !errors.Is(err, ErrBadCredentials) || errors.Is(err, ErrNoUser) {
					t.Errorf("%s: %v, want ErrBadCredentials", tc.name, err)
				}
			}
			for _, name := range []string{"carl", "x'OR'1'='1", "ann'--"} {
				if _, err := s.Authenticate(ctx, name, "ann pw"); !errors.Is(err, ErrNoUser) {
					t.Errorf("%q: %v, want ErrNoUser", name, err)
				}
			}
			// An unknown user, and one whose password is NULL, verify
			// the decoy (none for plain text, where no login verifies
			// a hash): the costliest hash seen, ann's (a bcrypt hash at
			// cost 4, or SHA-512-crypt: not bcrypt at cost 12). A new
			// process (each session under inetd) reads what this one
			// learned from the data directory: a hash of the same
			// scheme and cost, not ann's, that her password does not
			// match.
			seen := map[string]string{SQLPasswordHash: annHash, SQLPasswordCrypt: sha}[typ]
			for i, s := range []*SQL{s, open(t, o)} {
				var verified []string
				s.verifying = func(stored string) { verified = append(verified, stored) }
				for _, name := range []string{"carl", "bob"} {
					verified = nil
					s.Authenticate(ctx, name, "x")
					if typ == SQLPasswordPlain {
						if len(verified) != 0 {
							t.Errorf("%s verified %.30q, want nothing", name, verified)
						}
						continue
					}
					if len(verified) != 1 || schemeOf(verified[0]) != schemeOf(seen) || cryptWork(verified[0]) != cryptWork(seen) {
						t.Fatalf("process %d: %s verified %.30q, want a hash like %.30q", i, name, verified, seen)
					}
					if i == 0 && verified[0] != seen || i == 1 && verified[0] == seen {
						t.Errorf("process %d: %s verified %.30q; want ann's hash in the process that saw it, another in the next", i, name, verified)
					}
					if ok, err := verifyCrypt(ctx, verified[0], "ann pw"); i == 1 && ok || err != nil {
						t.Errorf("ann's password matches the decoy %.30q (%v)", verified[0], err)
					}
				}
			}
			// A wrong password against ann's hash verifies hers alone:
			// the decoy costs no more (in a new process too).
			if typ != SQLPasswordPlain {
				s := open(t, o)
				var verified []string
				s.verifying = func(stored string) { verified = append(verified, stored) }
				s.Authenticate(ctx, "ann", "wrong pw")
				if len(verified) != 1 || verified[0] != seen {
					t.Errorf("ann's wrong password verified %.30q, want her hash alone", verified)
				}
			}
			if _, err := os.Stat(filepath.Join(o.DataDir, SQLDecoyFile)); (err == nil) != (typ != SQLPasswordPlain) {
				t.Errorf("%s: the decoy file: %v", typ, err)
			}
		})
	}
	t.Run("fields from getpwnam alone", func(t *testing.T) {
		o := srv.conn
		o.GetPwnam = "SELECT name, pw_plain AS password, uid, gid, dir AS home FROM users WHERE name = $user"
		o.PasswordType = SQLPasswordPlain
		s := open(t, o)
		u, err := s.Authenticate(ctx, "o'hara", "quote pw")
		if err != nil {
			t.Fatal(err)
		}
		if want := (User{Name: "o'hara", UID: -1, GID: -1, Home: "/data/o'hara"}); *u != want {
			t.Errorf("o'hara = %+v, want %+v", *u, want)
		}
	})
	t.Run("identify without a password", func(t *testing.T) {
		o := srv.conn
		o.GetPwnam = "SELECT name, pw_plain AS password, uid, gid, gecos, dir, shell FROM users WHERE name = $user"
		o.PasswordType = SQLPasswordPlain
		s := open(t, o)
		u, err := s.Identify(ctx, "ann")
		if want := (User{Name: "ann", UID: 3001, GID: 3000, Gecos: "Ann", Home: "/home/ann", Shell: "/bin/sh"}); err != nil || *u != want {
			t.Errorf("Identify(ann) = %+v, %v; want %+v", u, err, want)
		}
		if u, err := s.Identify(ctx, "bob"); err != nil || u.Name != "bob" {
			t.Errorf("Identify(bob), no password at all = %+v, %v; want bob", u, err)
		}
		if _, err := s.Identify(ctx, "lou"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Identify(lou), locked: %v, want ErrBadCredentials", err)
		}
		for _, name := range []string{"carl", "x'OR'1'='1"} {
			if _, err := s.Identify(ctx, name); !errors.Is(err, ErrNoUser) {
				t.Errorf("Identify(%q): %v, want ErrNoUser", name, err)
			}
		}
	})
	t.Run("ambiguous query is unavailable", func(t *testing.T) {
		o := srv.conn
		o.GetPwnam = "SELECT name, pw_plain AS passwd FROM users WHERE name = $user OR name = 'bob'"
		o.PasswordType = SQLPasswordPlain
		if _, err := open(t, o).Authenticate(ctx, "ann", "ann pw"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("got %v, want ErrUnavailable", err)
		}
	})
	t.Run("cache notices a changed password", func(t *testing.T) {
		o := srv.conn
		o.GetPwnam = "SELECT name, pw_plain AS passwd FROM users WHERE name = $user"
		o.PasswordType = SQLPasswordPlain
		o.CacheTTL = time.Hour
		s := open(t, o)
		if _, err := s.Authenticate(ctx, "o'hara", "quote pw"); err != nil {
			t.Fatal(err)
		}
		if !s.cache.hit("o'hara", "quote pw", "quote pw", time.Now()) {
			t.Error("a successful login was not cached")
		}
		srv.exec(t, "UPDATE users SET pw_plain = 'new pw' WHERE name = 'o''hara'")
		if _, err := s.Authenticate(ctx, "o'hara", "quote pw"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("old password after the change: %v, want ErrBadCredentials", err)
		}
		if _, err := s.Authenticate(ctx, "o'hara", "new pw"); err != nil {
			t.Errorf("new password: %v", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		o := srv.conn
		o.Port = freePort(t, "tcp")
		o.GetPwnam = "SELECT name FROM users WHERE name = $user"
		o.PasswordType = SQLPasswordPlain
		o.Timeout = 2 * time.Second
		_, err := open(t, o).Authenticate(ctx, "ann", "ann pw")
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBadCredentials) {
			t.Errorf("got %v, want ErrUnavailable", err)
		}
	})
	if srv.conn.Interface == SQLMySQL {
		t.Run("case-insensitive collation gives the stored name", func(t *testing.T) {
			o := srv.conn
			o.GetPwnam = "SELECT name, pw_plain AS passwd FROM users WHERE name = $user"
			o.PasswordType = SQLPasswordPlain
			u, err := open(t, o).Authenticate(ctx, "ANN", "ann pw")
			if err != nil || u.Name != "ann" {
				t.Errorf("ANN = %+v, %v; want the name ann", u, err)
			}
		})
	}
}

func TestBindUser(t *testing.T) {
	tests := []struct {
		query, iface, want string
		n                  int
	}{
		{"SELECT * FROM u WHERE name = '${user}'", SQLPostgres, "SELECT * FROM u WHERE name = $1", 1},
		{"SELECT * FROM u WHERE a = $user OR b = ${user}", SQLPostgres, "SELECT * FROM u WHERE a = $1 OR b = $1", 1},
		{"SELECT * FROM u WHERE a = $user OR b = '$user'", SQLMySQL, "SELECT * FROM u WHERE a = ? OR b = ?", 2},
		{"SELECT $username, $user FROM u", SQLMySQL, "SELECT $username, ? FROM u", 1},
	}
	for _, tt := range tests {
		got, n, err := bindUser(tt.query, tt.iface)
		if err != nil || got != tt.want || n != tt.n {
			t.Errorf("bindUser(%q, %s) = %q, %d, %v; want %q, %d", tt.query, tt.iface, got, n, err, tt.want, tt.n)
		}
	}
	if _, _, err := bindUser("SELECT * FROM u WHERE name = 'ann'", SQLMySQL); err == nil {
		t.Error("a query without $user was accepted")
	}
}

// FuzzBindUser: any query either has no $user or becomes one whose
// parameters match what it asks for, without the variable left in it.
func FuzzBindUser(f *testing.F) {
	for _, s := range []string{"SELECT 1 WHERE a='${user}'", "$user$user", "'$user", "${user", "$users $user"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		pg, n, err := bindUser(q, SQLPostgres)
		if err != nil {
			if _, _, err2 := bindUser(q, SQLMySQL); err2 == nil {
				t.Fatalf("bindUser(%q): only one interface refused it", q)
			}
			return
		}
		my, m, err := bindUser(q, SQLMySQL)
		if err != nil || n != 1 || m < 1 {
			t.Fatalf("bindUser(%q) = %q %d / %q %d, %v", q, pg, n, my, m, err)
		}
		// Each variable became one placeholder: the lengths tell.
		if len(pg)-len(my) != m {
			t.Fatalf("bindUser(%q): %d parameters, but %q and %q", q, m, pg, my)
		}
	})
}
