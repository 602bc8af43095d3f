package storage_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestQuota: usage follows APPEND, COPY, MOVE, EXPUNGE, RENAME and
// DELETE without a rescan; APPEND and COPY past a limit fail with
// ErrOverQuota and store nothing; a MOVE within the personal namespace is
// never refused.
func TestQuota(t *testing.T) {
	s, _, root := newAccount(t)
	home := filepath.Join(root, "quser")
	os.MkdirAll(home, 0o700)
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir",
		Shared: storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "#shared/", Directory: filepath.Join(root, "shared")}}}}
	body := "Subject: q\r\n\r\n" + strings.Repeat("x", 84) + "\r\n" // 100 bytes
	a := s.Account(storage.User{Name: "quser", Home: home, Quota: storage.QuotaLimits{Storage: 350, Messages: 10}}, layout)
	// Mail that is there before the first count.
	if err := a.Create("Old"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Append("Old", strings.NewReader(body), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	want := func(msgs, bytes int64) {
		t.Helper()
		lim, use, err := a.Quota()
		if err != nil || use != (storage.QuotaUsage{Messages: msgs, Storage: bytes}) || lim.Storage != 350 {
			t.Fatalf("usage %+v (limits %+v, %v), want %d messages, %d bytes", use, lim, err, msgs, bytes)
		}
	}
	want(1, 100)
	for i := 0; i < 2; i++ {
		if _, _, err := a.Append("INBOX", strings.NewReader(body), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	want(3, 300)
	if _, _, err := a.Append("INBOX", strings.NewReader(body), nil, time.Now()); !errors.Is(err, storage.ErrOverQuota) {
		t.Fatalf("APPEND past the limit: %v", err)
	}
	want(3, 300)
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	uids := append([]uint32(nil), v.UIDs()...)
	if _, _, _, err := a.Copy(v, uids, "Old"); !errors.Is(err, storage.ErrOverQuota) {
		t.Fatalf("COPY past the limit: %v", err)
	}
	if st, _ := a.Status("Old"); st.Messages != 1 {
		t.Fatalf("a refused COPY stored %d messages", st.Messages-1)
	}
	if _, _, _, err := a.Move(v, uids, "Old"); err != nil {
		t.Fatalf("MOVE within the namespace: %v", err)
	}
	want(3, 300)
	if err := a.Rename("Old", "New"); err != nil {
		t.Fatal(err)
	}
	want(3, 300)
	if err := a.Delete("New"); err != nil {
		t.Fatal(err)
	}
	want(0, 0)
	if err := a.CheckQuota("INBOX", 350, 1); err != nil {
		t.Fatalf("a full quota's worth after DELETE: %v", err)
	}
	if err := a.CheckQuota("INBOX", 351, 1); !errors.Is(err, storage.ErrOverQuota) {
		t.Fatalf("one byte over: %v", err)
	}
	if _, ok := a.QuotaRoot("INBOX"); !ok {
		t.Fatal("INBOX has no quota root")
	}
	if _, ok := a.QuotaRoot("#shared/x"); ok {
		t.Fatal("a shared mailbox has a quota root")
	}
}
