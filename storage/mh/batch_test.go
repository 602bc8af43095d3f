package mh

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// SetFlagsBatch changes many messages with one rewrite of .mh_sequences
// and gives the same result as SetFlags one by one.
func TestSetFlagsBatch(t *testing.T) {
	path, d := newFolder(t)
	f := mustOpen(t, d, path)
	for i := 0; i < 20; i++ {
		if _, err := f.Append(strings.NewReader("Subject: x\n\nbody\n"), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	changes := map[uint32][]string{}
	for uid := uint32(1); uid <= 20; uid++ {
		if uid%2 == 0 {
			changes[uid] = []string{`\Flagged`, `\Seen`}
		} else {
			changes[uid] = []string{`\Seen`}
		}
	}
	changes[999] = []string{`\Seen`} // gone: skipped
	if err := f.SetFlagsBatch(storage.FlagChangesOf(changes)); err != nil {
		t.Fatal(err)
	}
	snap := mustScan(t, mustOpen(t, d, path))
	for _, m := range snap.Messages {
		want := strings.Join(changes[m.UID], " ")
		if got := strings.Join(m.Flags, " "); got != want {
			t.Errorf("uid %d: flags %q, want %q", m.UID, got, want)
		}
	}
	seq, _ := os.ReadFile(filepath.Join(path, ".mh_sequences"))
	if !strings.Contains(string(seq), "flagged: 2 4 6") && !strings.Contains(string(seq), "flagged: 2 4") {
		t.Errorf(".mh_sequences: %q", seq)
	}
}

// TestCommitBatchOfLinks: a batch of messages linked from another folder
// (COPY) is committed as one: each copy is the source's file, with the
// flags asked for; a number another program takes between the sequences
// rewrite and the links is left to that program's file, with its
// memberships as they were, and the copy gets the next free number.
func TestCommitBatchOfLinks(t *testing.T) {
	srcPath, d := newFolder(t)
	src := mustOpen(t, d, srcPath)
	flags := [][]string{{storage.FlagSeen}, nil, {storage.FlagFlagged, "$Label1"}, {storage.FlagSeen}, nil}
	for i, fl := range flags {
		appendMsg(t, src, fmt.Sprintf("Subject: %d\n\nbody\n", i), fl...)
	}
	mustScan(t, src)
	dstPath := filepath.Join(filepath.Dir(srcPath), "copies")
	if err := d.Create(dstPath, 0o600); err != nil {
		t.Fatal(err)
	}
	dst := mustOpen(t, d, dstPath)
	appendMsg(t, dst, "Subject: first\n\n", storage.FlagSeen)
	mustScan(t, dst)
	var staged []storage.Staged
	for i, fl := range flags {
		s, err := dst.StageLink(src, uint32(i+1), fl)
		if err != nil {
			t.Fatal(err)
		}
		staged = append(staged, s)
	}
	var taken uint32
	beforeLinks = func(nums []uint32) {
		taken = nums[2]
		writeFile(t, filepath.Join(dstPath, fmt.Sprint(taken)), "Subject: procmail\n\n", testNow())
	}
	defer func() { beforeLinks = nil }()
	msgs, err := dst.CommitBatch(staged)
	if err != nil {
		t.Fatal(err)
	}
	fresh := mustOpen(t, d, dstPath)
	snap := mustScan(t, fresh)
	for i, m := range msgs {
		if m.UID == taken {
			t.Errorf("copy %d got the number %d another program took", i, taken)
		}
		sfi, _ := os.Stat(filepath.Join(srcPath, fmt.Sprint(i+1)))
		dfi, _ := os.Stat(filepath.Join(dstPath, fmt.Sprint(m.UID)))
		if sfi == nil || dfi == nil || !os.SameFile(sfi, dfi) {
			t.Errorf("copy %d (uid %d) is not a link to its source", i, m.UID)
		}
		got, _ := message(snap, m.UID)
		if want := slices.Sorted(slices.Values(flags[i])); !slices.Equal(got.Flags, want) || !slices.Equal(m.Flags, want) {
			t.Errorf("copy %d (uid %d) has flags %v (scan %v), want %v", i, m.UID, m.Flags, got.Flags, want)
		}
	}
	// procmail took a number the batch had claimed: a new process, as
	// the Folder that claimed it, gives it a fresh one.
	var procmail *storage.Message
	for i, m := range snap.Messages {
		if readAll(t, fresh, m.UID) == "Subject: procmail\n\n" {
			procmail = &snap.Messages[i]
		}
	}
	if procmail == nil || !slices.Equal(procmail.Flags, []string{storage.FlagSeen}) {
		t.Errorf("procmail's message (number %d): %+v, want it as nmh sees a new file", taken, procmail)
	}
	if left, _ := filepath.Glob(filepath.Join(dstPath, ".mailgate-tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
