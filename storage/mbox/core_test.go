package mbox

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

type events struct{ got []string }

func (e *events) FlagsInUse([]string)     {}
func (e *events) Expunge(seq uint32)      { e.got = append(e.got, "EXPUNGE") }
func (e *events) Exists(n, recent uint32) { e.got = append(e.got, "EXISTS") }
func (e *events) Flags(seq uint32, m *storage.Message, recent bool) {
	e.got = append(e.got, "FLAGS "+strings.Join(m.Flags, ","))
}

// TestThroughTheCore drives the driver through the storage core, as a
// session does, with another program appending meanwhile.
func TestThroughTheCore(t *testing.T) {
	home := t.TempDir()
	s := storage.New(storage.Options{
		Drivers: []storage.Driver{New(Options{FlushDelay: -1, Logger: slog.New(slog.DiscardHandler)})},
		Logger:  slog.New(slog.DiscardHandler),
	})
	defer s.Close()
	a := s.Account(storage.User{Name: "u", Home: home}, &storage.Layout{
		Inbox: "mbox:$home/INBOX", DefaultType: "mbox",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "", Directory: filepath.Join(home, "mail")}}},
	})
	if _, _, err := a.Append("INBOX", strings.NewReader("Subject: one\r\n\r\nbody\r\n"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Count() != 1 || v.RecentCount() != 1 {
		t.Fatalf("count %d recent %d", v.Count(), v.RecentCount())
	}
	appendFile(t, filepath.Join(home, "INBOX"), msgText("delivered"))
	deadline := time.Now().Add(5 * time.Second)
	var e events
	for v.Count() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		v.Poll(true, &e)
	}
	if v.Count() != 2 {
		t.Fatalf("the delivered message did not show: %q", e.got)
	}
	r, size, err := v.Open(v.UIDs()[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "Subject: delivered\r\n\r\nbody of delivered\r\n" || int64(len(b)) != size {
		t.Errorf("Open = %q, size %d", b, size)
	}
	if _, err := v.Store(v.UIDs()[:1], storage.AddFlags, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if err := v.Expunge(nil, false); err != nil {
		t.Fatal(err)
	}
	if st, err := a.Status("INBOX"); err != nil || st.Messages != 1 || st.UIDNext != 3 {
		t.Errorf("STATUS %+v, %v", st, err)
	}
	if err := a.Create("Archive"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.Copy(v, v.UIDs(), "Archive"); err != nil {
		t.Fatal(err)
	}
	if st, err := a.Status("Archive"); err != nil || st.Messages != 1 {
		t.Errorf("STATUS Archive %+v, %v", st, err)
	}
}
