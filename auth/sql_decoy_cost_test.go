package auth

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// With every user's hash made by HashPassword (bcrypt at
// NewPasswordCost, the usual database), a wrong password for a known name
// costs what an unknown name costs: otherwise the time of a failed login
// tells which names exist. A decoy fixed at bcrypt 12 (139e2cd, since
// replaced by the learned one) broke this: own+decoy against the decoy
// alone (review s10a). The work is counted with the verifying hook and
// cryptWork's estimate; the clock is only logged.
func TestSQLUnknownNameCostsAsAKnownNamesWrongPassword(t *testing.T) {
	srv := startPostgres(t)
	hash, err := HashPassword("ann pw")
	if err != nil {
		t.Fatal(err)
	}
	srv.exec(t, `CREATE TABLE users (name VARCHAR(64) PRIMARY KEY, pw VARCHAR(255), uid INTEGER, gid INTEGER,
		gecos VARCHAR(255), dir VARCHAR(255), shell VARCHAR(255))`)
	srv.exec(t, fmt.Sprintf(`INSERT INTO users VALUES ('ann', '%s', 3001, 3000, 'Ann', '/home/ann', '/bin/sh')`, hash))
	for _, typ := range []string{SQLPasswordHash, SQLPasswordCrypt} {
		t.Run(typ, func(t *testing.T) {
			o := srv.conn
			o.GetPwnam = "SELECT name, uid, gid, gecos, dir, shell FROM users WHERE name = '${user}'"
			o.GetPass = "SELECT pw FROM users WHERE name = $user"
			o.PasswordType = typ
			o.DataDir = "/data"
			s, err := OpenSQL(&o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			// A first, successful login: the process has seen the
			// database's hash (the old seenDecoy's best case too).
			if _, err := s.Authenticate(ctx, "ann", "ann pw"); err != nil {
				t.Fatal(err)
			}
			try := func(name string) (work, took time.Duration) {
				s.verifying = func(stored string) { work += cryptWork(stored) }
				start := time.Now()
				s.Authenticate(ctx, name, "wrong pw")
				return work, time.Since(start)
			}
			known, knownTook := try("ann")
			unknown, unknownTook := try("nobody")
			t.Logf("estimated work: known name %v, unknown name %v; measured %v and %v", known, unknown, knownTook, unknownTook)
			if diff := known - unknown; diff > known/10 || -diff > known/10 {
				t.Errorf("a wrong password for a known name costs %v, an unknown name %v: a failed login's time tells which names exist", known, unknown)
			}
		})
	}
}
