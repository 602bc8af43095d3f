package imap_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/imap"
)

// A client that sends its LOGIN and then shuts
// down its side of the connection (shutdown(SHUT_WR): ncat's default at
// the end of its input, "printf 'a LOGIN u p\r\n' | ncat host 143", a
// monitoring probe) still reads the answer. Since 8702ff7 the session
// takes that EOF for a hang-up (watchHangup, Reader.Broken) and cancels
// the check: on a server whose verification places are all taken (a
// busy one, or one an attacker keeps busy with made-up names), a user
// whose hash is costly (any but {PLAIN}) gets "NO [UNAVAILABLE]" for a
// right password. Before, "OK". EOF cannot tell a half-close from a
// hang-up; a reset or a failed write can.
func TestLoginOfAHalfClosedClientIsAnswered(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// bob's hash keeps a verification place for some 250 ms: logins of
	// his hold every place while alice's waits, as on a busy server.
	slow, err := bcrypt.GenerateFromPassword([]byte("secret"), 12)
	if err != nil {
		t.Fatal(err)
	}
	e := startServer(t, func(o *imap.Options) {
		u, err := o.Authenticator.Authenticate(context.Background(), "alice", "secret")
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "users")
		line := fmt.Sprintf("alice:%s:::%s::\nbob:%s:::%s::\n", hash, u.Home, slow, u.Home)
		if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		users, err := auth.LoadUsersFile(file, filepath.Dir(u.Home), nil)
		if err != nil {
			t.Fatal(err)
		}
		o.Authenticator = users
	})
	for i := range 3 {
		var busy []*rawConn
		for range runtime.GOMAXPROCS(0) {
			b := e.raw()
			b.send("b LOGIN bob wrong")
			busy = append(busy, b)
		}
		time.Sleep(20 * time.Millisecond) // bob's checks took the places
		c := e.raw()
		c.send("x LOGIN alice secret")
		if err := c.conn.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if l := c.tagged("x"); !strings.HasPrefix(l, "x OK") {
			t.Fatalf("try %d: the right password from a client that half-closed: %q; want x OK", i, l)
		}
		for _, b := range busy {
			b.tagged("b")
		}
	}
}
