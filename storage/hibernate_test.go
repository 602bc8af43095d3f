package storage_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// TestSelectState: a view reopened from a hibernated one's state keeps
// its sequence numbers and tells, at its first Poll, exactly what changed
// while nobody watched: an expunge, new flags, a new message.
func TestSelectState(t *testing.T) {
	f := formatCase{name: "mem", mem: newMemDriver("mem", false)}
	a, _, _ := formatAccount(t, f)
	if err := a.Create("box"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one", "two", "three", "four"} {
		if _, _, err := a.Append("box", msg(s), nil, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	v.Info()
	if _, err := v.Store([]uint32{1}, storage.AddFlags, []string{`\Seen`}); err != nil {
		t.Fatal(err)
	}
	v.Poll(true, &recorder{})
	st, ok := v.State()
	if !ok {
		t.Fatal("State refused a view with nothing pending")
	}
	b, _ := json.Marshal(st)
	v.Close()

	// Meanwhile, another session: message 2 goes, 3 gets a flag, one
	// arrives.
	o, err := a.Select("box", false)
	if err != nil {
		t.Fatal(err)
	}
	o.Store([]uint32{2}, storage.AddFlags, []string{`\Deleted`})
	o.Store([]uint32{3}, storage.AddFlags, []string{`$Important`})
	if err := o.Expunge(nil, false); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if _, _, err := a.Append("box", msg("five"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}

	var back storage.ViewState
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	w, err := a.SelectState("box", false, &back)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := w.UIDs(); !slices.Equal(got, []uint32{1, 2, 3, 4}) {
		t.Fatalf("resumed view's UIDs %v, want the client's [1 2 3 4]", got)
	}
	var r recorder
	w.Poll(true, &r)
	want := []string{"FLAGS IN USE $Important", "EXPUNGE 2", "EXISTS 4", "FLAGS 2 $Important"}
	if !slices.Equal(r.events, want) {
		t.Errorf("first Poll after resuming: %q, want %q", r.events, want)
	}
	if got := w.UIDs(); !slices.Equal(got, []uint32{1, 3, 4, 5}) {
		t.Errorf("UIDs after the Poll %v, want [1 3 4 5]", got)
	}

	back.UIDValidity++
	if _, err := a.SelectState("box", false, &back); err != storage.ErrUIDValidityChanged {
		t.Errorf("SelectState with another UIDVALIDITY: %v, want ErrUIDValidityChanged", err)
	}
}
