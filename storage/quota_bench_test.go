package storage_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// quotaAccount makes an account of boxes maildir mailboxes of per
// messages each, with a quota, on a store that keeps nothing open.
func quotaAccount(b *testing.B, boxes, per int) (*storage.Store, storage.User, *storage.Layout) {
	b.Helper()
	home := b.TempDir()
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir"}
	u := storage.User{Name: "q", Home: home, Quota: storage.QuotaLimits{Storage: 1 << 40, Messages: 1 << 40}}
	s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
	b.Cleanup(func() { s.Close() })
	a := s.Account(storage.User{Name: u.Name, Home: home}, layout)
	msg := "Subject: b\r\n\r\n" + strings.Repeat("x", 2000) + "\r\n"
	for i := 0; i < boxes; i++ {
		name := fmt.Sprintf("box%d", i)
		if err := a.Create(name); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < per; j++ {
			if _, _, err := a.Append(name, strings.NewReader(msg), nil, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	}
	os.RemoveAll(filepath.Join(home, ".mailgate-special-use"))
	return s, u, layout
}

// BenchmarkQuotaFirstCount: the one-time count of a user's usage (every
// personal mailbox opened), quotaBoxes mailboxes of quotaPer messages.
func BenchmarkQuotaFirstCount(b *testing.B) {
	_, u, layout := quotaAccount(b, quotaBoxes, quotaPer)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
		if _, err := s.Account(u, layout).QuotaUsage(); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkCheckQuota: one check once the usage is counted, as every
// APPEND, COPY and delivery makes it.
func BenchmarkCheckQuota(b *testing.B) {
	s, u, layout := quotaAccount(b, quotaBoxes, quotaPer)
	a := s.Account(u, layout)
	if _, err := a.QuotaUsage(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := a.CheckQuota("INBOX", 1000, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// The size of the benchmarks' account.
const quotaBoxes, quotaPer = 20, 250
