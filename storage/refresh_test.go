package storage_test

import (
	"testing"
	"time"
)

// TestUIDValidityChangeResetsUIDNext: when another program replaces a
// mailbox (a new UIDVALIDITY, UIDs from 1 again), the core takes the new
// UIDNEXT instead of keeping the old, higher one, so that STATUS never
// announces a UIDNEXT above a UID it hands out later.
func TestUIDValidityChangeResetsUIDNext(t *testing.T) {
	f := formatCase{name: "mem", mem: newMemDriver("mem", false)}
	a, home, _ := formatAccount(t, f)
	if err := a.Create("box"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one", "two", "three"} {
		if _, _, err := a.Append("box", msg(s), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	// Another program replaces the mailbox.
	old := replaceMemBox(t, a, f, home, "box")

	validity, uid, err := a.Append("box", msg("four"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if validity != old.UIDValidity+1 || uid != 1 {
		t.Fatalf("APPENDUID %d %d, want %d 1", validity, uid, old.UIDValidity+1)
	}
	st, err := a.Status("box")
	if err != nil {
		t.Fatal(err)
	}
	if st.UIDValidity != validity || st.UIDNext != 2 || st.Messages != 1 {
		t.Errorf("STATUS after the mailbox was replaced: %+v; want UIDVALIDITY %d, UIDNEXT 2, 1 message", st, validity)
	}
	var r recorder
	v.Poll(true, &r)
	if got := v.UIDs(); len(got) != 1 || got[0] != 1 {
		t.Errorf("the open view has UIDs %v after %q; want [1]", got, r.events)
	}
}

// TestUIDValidityChangeDropsGhosts: after another program replaced a
// mailbox, a view that learns late of the old messages' expunges does
// not take away what is cached of a new message that reuses one of
// their UIDs (review1).
func TestUIDValidityChangeDropsGhosts(t *testing.T) {
	f := formatCase{name: "mem", mem: newMemDriver("mem", false)}
	a, home, _ := formatAccount(t, f)
	if err := a.Create("box"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one", "two"} {
		if _, _, err := a.Append("box", msg(s), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	replaceMemBox(t, a, f, home, "box")
	if _, uid, err := a.Append("box", msg("three"), nil, time.Time{}); err != nil || uid != 1 {
		t.Fatalf("APPEND: UID %d, %v", uid, err)
	}
	w, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetCached(1, "imap.envelope", []byte("new"))
	var r recorder
	v.Poll(true, &r) // processes the expunge of the old UID 1
	if got, ok := w.Cached(1, "imap.envelope"); !ok || string(got.([]byte)) != "new" {
		t.Errorf("the new message's cached value after the old view caught up: %v, %v", got, ok)
	}
}
