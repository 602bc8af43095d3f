package mbox

import (
	"os"
	"slices"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

func TestSidecarIndex(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox+"\n"+msgText("foreign"))
	f := mustOpen(t, d, path)
	want := mustScan(t, f)
	f.Close()
	if _, err := os.Stat(indexPath(path)); err != nil {
		t.Fatalf("no index after a full parse: %v", err)
	}
	if d.Is(indexPath(path)) {
		t.Error("the index counts as a mailbox")
	}

	t.Run("unchanged", func(t *testing.T) {
		g := mustOpen(t, d, path)
		s := mustScan(t, g)
		if g.parses != 0 {
			t.Errorf("%d parses of an unchanged file", g.parses)
		}
		sameSnapshot(t, s, want)
		checkSizes(t, g, s)
	})
	t.Run("appended", func(t *testing.T) {
		appendFile(t, path, msgText("tail"))
		size := int64(len(readFile(t, path)))
		g := mustOpen(t, d, path)
		s := mustScan(t, g)
		if g.parses != 1 || g.parsedBytes > size-int64(len(imap4dMbox)) {
			t.Errorf("%d parses of %d bytes; want the tail only", g.parses, g.parsedBytes)
		}
		if !slices.Equal(uidsOf(s), []uint32{1, 3, 4, 5, 6}) {
			t.Errorf("UIDs %v", uidsOf(s))
		}
		g.Close()
		want = mustScan(t, mustOpen(t, d, path))
	})
	t.Run("damaged", func(t *testing.T) {
		b, _ := os.ReadFile(indexPath(path))
		for _, cut := range []int{0, 10, len(b) / 2, len(b) - 1} {
			bad := slices.Clone(b[:cut])
			if cut == len(b)-1 {
				bad = slices.Clone(b)
				bad[len(bad)/2] ^= 0xff
			}
			os.WriteFile(indexPath(path), bad, 0o600)
			g := mustOpen(t, d, path)
			s := mustScan(t, g)
			if g.parses != 1 {
				t.Errorf("cut at %d: %d parses", cut, g.parses)
			}
			sameSnapshot(t, s, want)
			g.Close()
		}
	})
	t.Run("deleted", func(t *testing.T) {
		os.Remove(indexPath(path))
		g := mustOpen(t, d, path)
		s := mustScan(t, g)
		// UIDs from X-UID stay; the foreign messages' (5, 6) are given
		// again in the same order.
		sameSnapshot(t, s, want)
	})
}

func sameSnapshot(t *testing.T, got, want storage.Snapshot) {
	t.Helper()
	if got.UIDValidity != want.UIDValidity || got.UIDNext != want.UIDNext || len(got.Messages) != len(want.Messages) {
		t.Fatalf("snapshot %d/%d/%d; want %d/%d/%d", got.UIDValidity, got.UIDNext, len(got.Messages),
			want.UIDValidity, want.UIDNext, len(want.Messages))
	}
	for i, m := range got.Messages {
		w := want.Messages[i]
		if m.UID != w.UID || m.Size != w.Size || m.New != w.New || !m.InternalDate.Equal(w.InternalDate) || !slices.Equal(m.Flags, w.Flags) {
			t.Errorf("message %d: %+v; want %+v", i, m, w)
		}
	}
}
