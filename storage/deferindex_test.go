package storage_test

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// TestFirstSelectIndexAfterAnswer: the first SELECT of a maildir leaves
// its index file to be written once the answer is out (View.Settle), or
// when the mailbox closes; a DELETE or RENAME of the mailbox before that
// leaves no file of it behind.
func TestFirstSelectIndexAfterAnswer(t *testing.T) {
	tests := []struct {
		name string
		// after runs with the view open and not settled; it returns
		// the path where the mailbox's index must be in the end, or ""
		// when none may be anywhere.
		after func(t *testing.T, a *storage.Account, v *storage.View, home string) string
	}{
		{"settled", func(t *testing.T, a *storage.Account, v *storage.View, home string) string {
			v.Settle()
			// Written by Settle itself, not by the Close that follows.
			index := filepath.Join(home, "box", ".mailgate-index")
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if _, err := os.Lstat(index); err == nil {
					break
				} else if time.Now().After(deadline) {
					t.Fatalf("no index 10 s after Settle, with the view open: %v", err)
				}
			}
			return index
		}},
		{"closed", func(t *testing.T, a *storage.Account, v *storage.View, home string) string {
			return filepath.Join(home, "box", ".mailgate-index")
		}},
		{"deleted", func(t *testing.T, a *storage.Account, v *storage.View, home string) string {
			if err := a.Delete("box"); err != nil {
				t.Fatal(err)
			}
			v.Settle()
			return ""
		}},
		{"renamed", func(t *testing.T, a *storage.Account, v *storage.View, home string) string {
			if err := a.Rename("box", "other"); err != nil {
				t.Fatal(err)
			}
			v.Settle()
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			box := filepath.Join(home, "box")
			writeSelectMaildir(t, box, 300)
			layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir",
				Personal: storage.Namespace{Prefixes: []storage.Prefix{{Directory: "$home"}}}}
			s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
			a := s.Account(storage.User{Name: "c", Home: home}, layout)
			v, err := a.Select("box", false)
			if err != nil {
				t.Fatal(err)
			}
			if v.Count() != 300 {
				t.Fatalf("%d messages", v.Count())
			}
			index := filepath.Join(box, ".mailgate-index")
			if _, err := os.Lstat(index); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("index written before the answer: %v", err)
			}
			want := tt.after(t, a, v, home)
			// Closing waits for the settled view's write, or writes
			// what it left.
			v.Close()
			s.Close()
			if want != "" {
				if _, err := os.Lstat(want); err != nil {
					t.Fatalf("index: %v", err)
				}
				return
			}
			for _, dir := range []string{box, filepath.Join(home, "other")} {
				if _, err := os.Lstat(filepath.Join(dir, ".mailgate-index")); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s: an index of the old mailbox: %v", dir, err)
				}
			}
			if _, err := os.Lstat(box); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the mailbox's directory is still there: %v", err)
			}
		})
	}
}
