package main_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/auth"
)

// Issue 10, item 3: "user add --scram" and "user passwd --scram" store
// SCRAM-SHA-256 keys as Dovecot writes them, derived from the password
// given; such a user logs in with LOGIN too.
func TestUserSCRAM(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "", "", "")
	mg := func(stdin string, args ...string) result {
		t.Helper()
		r := runMailgate(t, 10*time.Second, stdin, append([]string{"--config", cfg.path}, args...)...)
		if r.err != nil || r.code != 0 {
			t.Fatalf("%q: exit %d, %v, stderr %q", args, r.code, r.err, r.stderr)
		}
		return r
	}
	// keysMatch tells whether name's line holds the SCRAM keys of password.
	keysMatch := func(name, password string) bool {
		t.Helper()
		data, _ := os.ReadFile(filepath.Join(cfg.dataDir, "users"))
		for _, line := range strings.Split(string(data), "\n") {
			rest, ok := strings.CutPrefix(line, name+":{SCRAM-SHA-256}")
			if !ok {
				continue
			}
			f := strings.Split(strings.Split(rest, ":")[0], ",")
			iter, _ := strconv.Atoi(f[0])
			salt, _ := base64.StdEncoding.DecodeString(f[1])
			k, err := auth.NewSCRAMKeys(password, salt, iter)
			return err == nil && base64.StdEncoding.EncodeToString(k.StoredKey) == f[2] &&
				base64.StdEncoding.EncodeToString(k.ServerKey) == f[3] && iter == auth.SCRAMIterations
		}
		return false
	}
	login := func(name, password string) bool {
		return strings.Contains(mg("a LOGIN "+name+" \""+password+"\"\r\nb LOGOUT\r\n", "-i").stdout, "\r\na OK ")
	}
	mg("scram pw\n", "user", "add", "fay", "--scram", "--password-stdin")
	mg("bcrypt pw\n", "user", "add", "gus", "--password-stdin")
	if !keysMatch("fay", "scram pw") || keysMatch("gus", "bcrypt pw") {
		t.Fatal("user add --scram did not store the password's SCRAM keys (or plain add did)")
	}
	if !login("fay", "scram pw") || login("fay", "wrong") {
		t.Error("LOGIN against SCRAM keys")
	}
	mg("new pw\n", "user", "passwd", "gus", "--scram", "--password-stdin")
	if !keysMatch("gus", "new pw") || !login("gus", "new pw") {
		t.Error("user passwd --scram")
	}
}
