package harness

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// freshTree writes a server directory as the corpus leaves it: a maildir
// with messages, dovecot-uidlist and .mu-prop, and a configuration.
func freshTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for rel, data := range map[string]string{
		"server.conf":                          "listen here\n",
		"home/bench/Maildir/dovecot-uidlist":   "3 V1 N3\n1 :a\n2 :b\n",
		"home/bench/Maildir/.mu-prop":          "uidnext: 3\n",
		"home/bench/Maildir/cur/a,u=1:2,S":     "Subject: one\n\nbody\n",
		"home/bench/Maildir/cur/b,u=2:2,":      "Subject: two\n\nbody\n",
		"home/bench/Maildir/new/.placeholder":  "",
		"home/bench/Maildir/tmp/.placeholder2": "",
	} {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// treeOf describes every entry under root: type, permissions, size,
// modification time and bytes.
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d %s", fi.Mode(), fi.Size(), fi.ModTime().Format(time.RFC3339Nano))
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " " + string(data)
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFreshRestore(t *testing.T) {
	md := "home/bench/Maildir"
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, root string)
		err    string // what restore's error says; "" when it puts everything back
	}{
		{"nothing changed", func(t *testing.T, root string) {}, ""},
		{"index files and a full-text folder written", func(t *testing.T, root string) {
			write(t, filepath.Join(root, md, "dovecot.index"), "index")
			write(t, filepath.Join(root, md, ".mailgate-modseq"), "modseq")
			write(t, filepath.Join(root, "data/fts/x.fts"), "fts")
		}, ""},
		{"small files rewritten and removed", func(t *testing.T, root string) {
			write(t, filepath.Join(root, md, "dovecot-uidlist"), "3 V1 N3 G0\n1 :a\n2 :b\n")
			if err := os.Remove(filepath.Join(root, md, ".mu-prop")); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(root, "server.conf"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"a folder where a file was", func(t *testing.T, root string) {
			if err := os.Remove(filepath.Join(root, "server.conf")); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(root, "server.conf", "inside"), "x")
		}, ""},
		{"a file where the folder of a message was", func(t *testing.T, root string) {
			if err := os.RemoveAll(filepath.Join(root, md, "tmp")); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(root, md, "tmp"), "not a folder")
		}, "placeholder2 is gone"},
		{"a message renamed", func(t *testing.T, root string) {
			if err := os.Rename(filepath.Join(root, md, "cur/b,u=2:2,"), filepath.Join(root, md, "cur/b,u=2:2,S")); err != nil {
				t.Fatal(err)
			}
		}, "b,u=2:2, is gone"},
		{"a message rewritten", func(t *testing.T, root string) {
			write(t, filepath.Join(root, md, "cur/a,u=1:2,S"), "Subject: one\n\nbody!\n")
		}, "a,u=1:2,S changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := freshTree(t)
			want := treeOf(t, root)
			st, err := noteFresh(root)
			if err != nil {
				t.Fatal(err)
			}
			tc.change(t, root)
			err = st.restore()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("restore: %v; want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := treeOf(t, root)
			for _, k := range slices.Sorted(maps.Keys(want)) {
				if got[k] != want[k] {
					t.Errorf("%s: %q, want %q", k, got[k], want[k])
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s left in place", k)
				}
			}
			// Twice in a row, as the repetitions do.
			tc.change(t, root)
			if err := st.restore(); err != nil {
				t.Fatalf("second restore: %v", err)
			}
			if got := treeOf(t, root); !maps.Equal(got, want) {
				t.Errorf("second restore: tree differs")
			}
		})
	}
}

// A kept file linked elsewhere (another server's copy) is replaced, not
// written through the link.
func TestFreshRestoreKeepsOtherLinks(t *testing.T) {
	root := freshTree(t)
	other := filepath.Join(t.TempDir(), "uidlist")
	uidlist := filepath.Join(root, "home/bench/Maildir/dovecot-uidlist")
	st, err := noteFresh(root)
	if err != nil {
		t.Fatal(err)
	}
	write(t, uidlist, "rewritten by the server\n")
	if err := os.Link(uidlist, other); err != nil {
		t.Skip("no hard links here:", err)
	}
	if err := st.restore(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(other); string(data) != "rewritten by the server\n" {
		t.Errorf("the other link now holds %q", data)
	}
	if data, _ := os.ReadFile(uidlist); string(data) != "3 V1 N3\n1 :a\n2 :b\n" {
		t.Errorf("dovecot-uidlist holds %q", data)
	}
}

func write(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
