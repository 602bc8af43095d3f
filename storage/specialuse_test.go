package storage_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestSpecialUse: configured uses show on their names; CREATE with USE
// stores uses that follow the mailbox through RENAME (children too) and
// go with DELETE; CreateDefaultFolders makes the configured folders
// marked Create, again after a DELETE.
func TestSpecialUse(t *testing.T) {
	s, _, root := newAccount(t)
	home := filepath.Join(root, "carol")
	os.MkdirAll(home, 0o700)
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "maildir", SpecialUse: []storage.SpecialUseFolder{
		{Name: "Sent", Use: storage.UseSent, Create: true},
		{Name: "Trash", Use: storage.UseTrash, Create: true},
		{Name: "Archive", Use: storage.UseArchive},
	}}
	a := s.Account(storage.User{Name: "carol", Home: home}, layout)
	if err := a.CreateDefaultFolders(); err != nil {
		t.Fatal(err)
	}
	if !a.Exists("Sent") || !a.Exists("Trash") || a.Exists("Archive") {
		t.Fatal("CreateDefaultFolders made the wrong folders")
	}
	if err := a.CreateSpecialUse("Box/Drafts", []string{`\drafts`, `\Flagged`}); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateSpecialUse("Nope", []string{`\Important`}); !errors.Is(err, storage.ErrBadSpecialUse) || a.Exists("Nope") {
		t.Fatalf("unknown use: %v", err)
	}
	if err := a.CreateSpecialUse("Level/", []string{`\Sent`}); !errors.Is(err, storage.ErrBadName) {
		t.Fatalf("use on a hierarchy level: %v", err)
	}
	list := func() map[string][]string {
		got := map[string][]string{}
		a.List(func(string) bool { return true }, func(mi storage.MailboxInfo) {
			if mi.SpecialUse != nil {
				got[mi.Name] = mi.SpecialUse
			}
		})
		return got
	}
	want := map[string][]string{"Sent": {`\Sent`}, "Trash": {`\Trash`}, "Box/Drafts": {`\Drafts`, `\Flagged`}}
	if got := list(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after create: %q, want %q", got, want)
	}
	if err := a.Rename("Box", "Old"); err != nil {
		t.Fatal(err)
	}
	delete(want, "Box/Drafts")
	want["Old/Drafts"] = []string{`\Drafts`, `\Flagged`}
	if got := list(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after rename: %q, want %q", got, want)
	}
	if err := a.Delete("Old/Drafts"); err != nil {
		t.Fatal(err)
	}
	if err := a.Create("Old/Drafts"); err != nil {
		t.Fatal(err)
	}
	delete(want, "Old/Drafts")
	if got := list(); !reflect.DeepEqual(got, want) {
		t.Fatalf("recreated after delete: %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(home, ".mailgate-special-use")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an empty special-use file is left: %v", err)
	}
	if err := a.Delete("Trash"); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateDefaultFolders(); err != nil || !a.Exists("Trash") {
		t.Fatalf("Trash not made again: %v", err)
	}
}
