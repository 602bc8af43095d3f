package storage_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// TestStoreBatchSharedFlags checks a STORE of many messages given out of
// order and with a UID twice: each message changes once, the UIDs
// changed come back in ascending order, another session hears of each
// once, the messages alike share one slice of new flags that an append
// cannot write through, and the files carry the flags.
func TestStoreBatchSharedFlags(t *testing.T) {
	_, a, _ := newAccount(t)
	fillMaildir(t, a, "box", 9) // copyFlags in turn: \Seen, none, \Flagged $Label1
	v, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	other, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.Poll(true, &recorder{})
	uids := v.UIDs()
	asked := []uint32{uids[8], uids[0], uids[4], uids[0], uids[2], uids[1], uids[3], uids[5], uids[6], uids[7], uids[4]}
	changed, err := v.Store(asked, storage.AddFlags, []string{storage.FlagFlagged})
	if err != nil {
		t.Fatal(err)
	}
	// The third message of each three had \Flagged already.
	want := []uint32{uids[0], uids[1], uids[3], uids[4], uids[6], uids[7]}
	if !slices.Equal(changed, want) {
		t.Fatalf("Store changed %v, want %v", changed, want)
	}
	msgs := make([]storage.Message, len(uids))
	v.Lookup(uids, msgs)
	for i, m := range msgs {
		wantFlags := [][]string{{storage.FlagFlagged, storage.FlagSeen}, {storage.FlagFlagged}, {"$Label1", storage.FlagFlagged}}[i%3]
		if !slices.Equal(m.Flags, wantFlags) {
			t.Errorf("message %d: flags %q, want %q", i+1, m.Flags, wantFlags)
		}
		if cap(m.Flags) != len(m.Flags) {
			t.Errorf("message %d: flags with room for %d more: an append would write into the others'", i+1, cap(m.Flags)-len(m.Flags))
		}
	}
	if &msgs[0].Flags[0] != &msgs[3].Flags[0] || &msgs[1].Flags[0] != &msgs[7].Flags[0] {
		t.Error("messages alike do not share their new flags")
	}
	r := &recorder{}
	other.Poll(true, r)
	var heard []string
	for _, e := range r.events {
		if strings.HasPrefix(e, "FLAGS ") && !strings.HasPrefix(e, "FLAGS IN USE") {
			heard = append(heard, e)
		}
	}
	if len(heard) != len(want) {
		t.Errorf("the other session heard %q, want one FLAGS per message changed (%d)", heard, len(want))
	}
	// On disk: a fresh look at the files finds the same flags.
	files := filesOf(t, v.Path())
	for i, uid := range uids {
		name := files[uid]
		letters := name[strings.LastIndex(name, ":2,")+3:]
		if !strings.Contains(letters, "F") {
			t.Errorf("message %d: file %s without F", i+1, name)
		}
	}
}
