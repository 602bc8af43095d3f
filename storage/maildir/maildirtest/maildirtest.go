// Package maildirtest makes maildirs for the tests of the packages that
// use the maildir driver.
package maildirtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// WriteQuiet writes a maildir at dir with n messages in cur/, message
// i's content being body(i), named with their UIDs (",u=i") as a first
// read leaves them, and with new/ and cur/ last changed an hour ago: the
// driver's folder can vouch for its files (storage.Unchanger) from its
// first read on, so the core need not watch it.
func WriteQuiet(t testing.TB, dir string, n int, body func(i int) string) {
	t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("1700000000.M%dP1.host,u=%d:2,", i, i)
		if err := os.WriteFile(filepath.Join(dir, "cur", name), []byte(body(i)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	for _, sub := range []string{"cur", "new"} {
		if err := os.Chtimes(filepath.Join(dir, sub), old, old); err != nil {
			t.Fatal(err)
		}
	}
}
