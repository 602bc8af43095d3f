package storage_test

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
	"github.com/mailgate/mailgate/storage/mh"
)

func newAccount(t *testing.T) (*storage.Store, *storage.Account, string) {
	t.Helper()
	return newAccountAt(t, t.TempDir())
}

// newAccountAt is newAccount on the homes below root: a second Store on
// the same files stands for another process.
func newAccountAt(t *testing.T, root string) (*storage.Store, *storage.Account, string) {
	t.Helper()
	s := storage.New(storage.Options{
		Drivers: []storage.Driver{maildir.New(), mh.New()},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	t.Cleanup(func() { s.Close() })
	homes := map[string]string{"alice": filepath.Join(root, "alice"), "bob": filepath.Join(root, "bob")}
	for _, h := range homes {
		os.MkdirAll(h, 0o700)
	}
	layout := &storage.Layout{
		Inbox:       "maildir:$home/INBOX",
		DefaultType: "maildir",
		Other:       storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "~", Directory: "$home"}}},
		Shared:      storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "#shared/", Directory: filepath.Join(root, "shared")}}},
		LookupHome:  func(u string) (string, bool) { h, ok := homes[u]; return h, ok },
	}
	return s, s.Account(storage.User{Name: "alice", Home: homes["alice"]}, layout), root
}

func msg(subject string) io.Reader {
	return strings.NewReader("Subject: " + subject + "\r\n\r\nbody\r\n")
}

// recorder collects what a View reports.
type recorder struct{ events []string }

func (r *recorder) FlagsInUse(flags []string) {
	r.events = append(r.events, "FLAGS IN USE "+strings.Join(flags, ","))
}
func (r *recorder) Expunge(seq uint32)      { r.events = append(r.events, "EXPUNGE "+itoa(seq)) }
func (r *recorder) Exists(n, recent uint32) { r.events = append(r.events, "EXISTS "+itoa(n)) }
func (r *recorder) Flags(seq uint32, m *storage.Message, recent bool) {
	r.events = append(r.events, "FLAGS "+itoa(seq)+" "+strings.Join(m.Flags, ","))
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func TestNames(t *testing.T) {
	_, a, _ := newAccount(t)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"Archive", nil},
		{"a/b/c", nil},
		{"../x", storage.ErrBadName},
		{"a/../../x", storage.ErrBadName},
		{"a//b", storage.ErrBadName},
		{".hidden", storage.ErrBadName},
		{"a/cur", storage.ErrBadName},
		{"2024", nil}, // reserved by MH, but the prefix makes maildirs
		{"Work/new", storage.ErrBadName},
		{"x\x00y", storage.ErrBadName},
		{"x\ny", storage.ErrBadName},
		{"~bob/Stuff", storage.ErrPermission},
		{"~nobody/x", storage.ErrNoMailbox},
		{"#shared/team", nil},
	} {
		err := a.Create(tc.name)
		if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("Create(%q) = %v, want %v", tc.name, err, tc.err)
		}
	}
}

func TestSymlinkOutsideIsRefused(t *testing.T) {
	_, a, root := newAccount(t)
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(root, "alice", "link"))
	if err := a.Create("link/x"); !errors.Is(err, storage.ErrBadName) {
		t.Fatalf("Create through a link to outside: %v", err)
	}
}

func TestViewsSeeEachOther(t *testing.T) {
	_, a, _ := newAccount(t)
	if _, _, err := a.Append("INBOX", msg("one"), nil, time.Time{}); err != nil {
		t.Fatal(err)
	}
	v1, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v1.Close()
	v2, _ := a.Select("INBOX", false)
	defer v2.Close()
	if v1.RecentCount() != 1 || v2.RecentCount() != 0 {
		t.Errorf("\\Recent went to %d and %d sessions, want to the first only", v1.RecentCount(), v2.RecentCount())
	}
	a.Append("INBOX", msg("two"), []string{`\Seen`}, time.Time{})
	if _, err := v2.Store(v2.UIDs(), storage.AddFlags, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	var r1 recorder
	v1.Poll(false, &r1)
	if strings.Join(r1.events, ";") != `EXISTS 2;FLAGS 1 \Deleted` {
		t.Errorf("v1 after append and store: %q", r1.events)
	}
	if err := v2.Expunge(nil, false); err != nil {
		t.Fatal(err)
	}
	// Without expunges allowed (FETCH), v1 keeps its numbering, and the
	// expunged message can still be looked up.
	var r2 recorder
	v1.Poll(false, &r2)
	if len(r2.events) != 0 || v1.Count() != 2 {
		t.Errorf("v1 during FETCH: %q, count %d", r2.events, v1.Count())
	}
	got := make([]storage.Message, 1)
	v1.Lookup(v1.UIDs()[:1], got)
	if got[0].UID == 0 {
		t.Error("an expunged message not yet reported cannot be looked up")
	}
	var r3 recorder
	v1.Poll(true, &r3)
	if strings.Join(r3.events, ";") != "EXPUNGE 1" || v1.Count() != 1 {
		t.Errorf("v1 after NOOP: %q, count %d", r3.events, v1.Count())
	}
	var r4 recorder
	v2.Poll(true, &r4)
	// v2 hears of its own expunge, then of the append; its own flag
	// change is not echoed.
	if strings.Join(r4.events, ";") != "EXPUNGE 1;EXISTS 1" {
		t.Errorf("v2: %q", r4.events)
	}
}

// TestKeywordsComeBeforeTheirUse: Poll tells a view of keywords it has
// not been told of (FlagsInUse) before the Exists or Flags that bring
// them, once; AnnounceFlags does the same for the session's own changes,
// which Poll does not echo.
func TestKeywordsComeBeforeTheirUse(t *testing.T) {
	_, a, _ := newAccount(t)
	a.Append("INBOX", msg("one"), []string{"$old"}, time.Time{})
	v1, _ := a.Select("INBOX", false)
	defer v1.Close()
	v2, _ := a.Select("INBOX", false)
	defer v2.Close()
	if got := v1.Info().Flags; !slices.Equal(got, []string{"$old"}) {
		t.Fatalf("flags in use %q", got)
	}
	v2.Info()
	steps := []struct {
		name      string
		do        func()
		want1     string // what v1 hears
		want2     string // what v2, which stores, hears from Poll and AnnounceFlags
		announce2 []string
	}{
		{"append", func() { a.Append("INBOX", msg("two"), []string{"$new", `\Seen`}, time.Time{}) },
			"FLAGS IN USE $new,$old;EXISTS 2", "FLAGS IN USE $new,$old;EXISTS 2", nil},
		{"store", func() { v2.Store(v2.UIDs()[:1], storage.AddFlags, []string{"$kw"}) },
			"FLAGS IN USE $kw,$new,$old;FLAGS 1 $kw,$old", "FLAGS IN USE $kw,$new,$old", []string{"$kw", `\Flagged`}},
		{"known", func() { v2.Store(v2.UIDs()[1:], storage.AddFlags, []string{"$kw"}) },
			"FLAGS 2 $kw,$new,\\Seen", "", []string{"$kw"}},
	}
	for _, st := range steps {
		st.do()
		var r1, r2 recorder
		v1.Poll(true, &r1)
		v2.Poll(true, &r2)
		v2.AnnounceFlags(st.announce2, &r2)
		if got := strings.Join(r1.events, ";"); got != st.want1 {
			t.Errorf("%s: v1 heard %q, want %q", st.name, got, st.want1)
		}
		if got := strings.Join(r2.events, ";"); got != st.want2 {
			t.Errorf("%s: v2 heard %q, want %q", st.name, got, st.want2)
		}
	}
}

func TestStatusAgreesWithSelect(t *testing.T) {
	_, a, _ := newAccount(t)
	a.Append("INBOX", msg("a"), []string{`\Seen`}, time.Time{})
	a.Append("INBOX", msg("b"), nil, time.Time{})
	st, err := a.Status("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 2 || st.Unseen != 1 || st.Recent != 2 || st.UIDNext != 3 {
		t.Errorf("STATUS %+v", st)
	}
	v, _ := a.Select("INBOX", false)
	defer v.Close()
	info := v.Info()
	if v.Count() != st.Messages || v.RecentCount() != st.Recent || info.UIDNext != st.UIDNext || info.UIDValidity != st.UIDValidity {
		t.Errorf("SELECT %d/%d/%+v disagrees with STATUS %+v", v.Count(), v.RecentCount(), info, st)
	}
}

func TestListAndSubscriptions(t *testing.T) {
	_, a, _ := newAccount(t)
	for _, n := range []string{"Work", "Work/2024", "Lists/go"} {
		if err := a.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	a.List(func(string) bool { return true }, func(mi storage.MailboxInfo) {
		flag := ""
		if mi.NoSelect {
			flag = "!"
		}
		if mi.HasChildren {
			flag += "+"
		}
		names = append(names, mi.Name+flag)
	})
	got := strings.Join(names, " ")
	for _, want := range []string{"INBOX", "Work+", "Work/2024", "Lists!+", "Lists/go"} {
		if !strings.Contains(" "+got+" ", " "+want+" ") {
			t.Errorf("List lacks %q: %s", want, got)
		}
	}
	a.Subscribe("Work", true)
	a.Subscribe("Lists/go", true)
	if err := a.Rename("Lists", "Feeds"); err != nil {
		t.Fatal(err)
	}
	subs, _ := a.Subscriptions()
	if strings.Join(subs, ",") != "Feeds/go,Work" {
		t.Errorf("subscriptions after rename: %q", subs)
	}
	if err := a.Delete("Work"); err != nil {
		t.Fatal(err)
	}
	if a.Exists("Work") || !a.Exists("Work/2024") {
		t.Error("DELETE of a parent must keep its child")
	}
}

func TestExternalDeliveryIsNoticed(t *testing.T) {
	_, a, root := newAccount(t)
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	dir := filepath.Join(root, "alice", "INBOX")
	os.WriteFile(filepath.Join(dir, "tmp", "x"), []byte("Subject: hi\n\nbody\n"), 0o600)
	os.Rename(filepath.Join(dir, "tmp", "x"), filepath.Join(dir, "new", "1700000000.x.host"))
	select {
	case <-v.Wake():
	case <-time.After(2 * time.Second):
		t.Fatal("no wake-up within 2 s of a delivery into new/")
	}
	var r recorder
	v.Poll(true, &r)
	if strings.Join(r.events, ";") != "EXISTS 1" || v.RecentCount() != 1 {
		t.Errorf("after delivery: %q, recent %d", r.events, v.RecentCount())
	}
	// And removal by another program is an expunge.
	files, _ := filepath.Glob(filepath.Join(dir, "*", "1700000000.x.host*"))
	if len(files) != 1 {
		t.Fatalf("delivered file: %q", files)
	}
	os.Remove(files[0])
	select {
	case <-v.Wake():
	case <-time.After(2 * time.Second):
		t.Fatal("no wake-up within 2 s of a removal")
	}
	r = recorder{}
	v.Poll(true, &r)
	if strings.Join(r.events, ";") != "EXPUNGE 1" {
		t.Errorf("after removal: %q", r.events)
	}
}

// Derived values survive the mailbox being closed and opened again (a new
// process, in inetd mode), through the driver's cache file.
func TestCachePersists(t *testing.T) {
	_, a, _ := newAccount(t)
	a.Append("INBOX", msg("cached"), nil, time.Time{})
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	uid := v.UIDs()[0]
	v.SetCached(uid, "imap.envelope", []byte("(envelope)"))
	v.Close() // the last view: the cache is written
	v, _ = a.Select("INBOX", false)
	defer v.Close()
	got, ok := v.Cached(uid, "imap.envelope")
	if !ok || string(got.([]byte)) != "(envelope)" {
		t.Fatalf("cache after reopening: %v %v", got, ok)
	}
}

// Another user's mailbox is readable only as its file mode allows, for a
// user with system ids of their own.
func TestOtherUsersFileModes(t *testing.T) {
	s, _, root := newAccount(t)
	layout := &storage.Layout{
		Inbox:      "maildir:$home/INBOX",
		Other:      storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "~", Directory: "$home"}}},
		LookupHome: func(u string) (string, bool) { return filepath.Join(root, u), u == "bob" },
	}
	bob := s.Account(storage.User{Name: "bob", Home: filepath.Join(root, "bob")}, layout)
	if err := bob.Create("Private"); err != nil {
		t.Fatal(err)
	}
	if err := bob.Create("Public"); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(root, "bob", "Private"), 0o700)
	os.Chmod(filepath.Join(root, "bob", "Public"), 0o755)
	// carol has her own uid, which owns neither.
	carol := s.Account(storage.User{Name: "carol", Home: filepath.Join(root, "carol"), HasIDs: true, UID: 54321, GID: 54321}, layout)
	if _, err := carol.Status("~bob/Private"); !errors.Is(err, storage.ErrPermission) {
		t.Errorf("STATUS of a 0700 mailbox of another user: %v", err)
	}
	if _, err := carol.Status("~bob/Public"); err != nil {
		t.Errorf("STATUS of a 0755 mailbox of another user: %v", err)
	}
}

// A mailbox nobody has selected lingers, still watched (its files are
// too young for its folder to vouch for them; for an unwatched one see
// TestUnwatchedLingeringReopened): the next SELECT finds it loaded and
// up to date.
func TestLingeringMailboxStaysCurrent(t *testing.T) {
	s, a, root := newAccount(t)
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	dir := filepath.Join(root, "alice", "INBOX")
	os.WriteFile(filepath.Join(dir, "tmp", "x"), []byte("Subject: late\n\nbody\n"), 0o600)
	os.Rename(filepath.Join(dir, "tmp", "x"), filepath.Join(dir, "new", "1700000001.late.host"))
	// Re-read, because of the watch's event or, when the watch came
	// after the delivery, of the check made when it was set; a re-read
	// counted from now on reads the directory after the delivery, and
	// the SELECT below waits for its end.
	before := s.Rescans()
	waitFor(t, "the lingering mailbox to be re-read", func() bool { return s.Rescans() > before })
	v, err = a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if v.Count() != 1 || v.RecentCount() != 1 {
		t.Errorf("after a delivery to a lingering mailbox: %d messages, %d recent", v.Count(), v.RecentCount())
	}
}

// TestViewsShareUIDs: views opened on the same mailbox share its UID list
// until one has to change it; an expunge told to one view leaves the
// other's numbering alone until it polls. FirstUnseen and Info follow
// flag changes.
func TestViewsShareUIDs(t *testing.T) {
	_, a, _ := newAccount(t)
	for _, s := range []string{"one", "two", "three", "four"} {
		if _, _, err := a.Append("INBOX", msg(s), []string{`\Seen`}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	v1, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v1.Close()
	v2, _ := a.Select("INBOX", false)
	defer v2.Close()

	for _, tc := range []struct {
		op     storage.StoreOp
		seq    int
		flags  []string
		unseen uint32
		inUse  string
	}{
		{storage.RemoveFlags, 3, []string{`\Seen`}, 3, `\Seen`},
		{storage.AddFlags, 2, []string{`$Work`}, 3, `$Work,\Seen`},
		{storage.RemoveFlags, 1, []string{`\Seen`}, 1, `$Work,\Seen`},
		{storage.AddFlags, 1, []string{`\Seen`}, 3, `$Work,\Seen`},
		{storage.AddFlags, 3, []string{`\Seen`}, 0, `$Work,\Seen`},
		{storage.RemoveFlags, 2, []string{`$Work`}, 0, `\Seen`},
	} {
		if _, err := v1.Store(v1.UIDs()[tc.seq-1:tc.seq], tc.op, tc.flags); err != nil {
			t.Fatal(err)
		}
		if got := v2.FirstUnseen(); got != tc.unseen {
			t.Errorf("after %v %d %v: FirstUnseen = %d, want %d", tc.op, tc.seq, tc.flags, got, tc.unseen)
		}
		inUse := v2.Info().Flags
		slices.Sort(inUse)
		if got := strings.Join(inUse, ","); got != tc.inUse {
			t.Errorf("after %v %d %v: flags in use %q, want %q", tc.op, tc.seq, tc.flags, got, tc.inUse)
		}
	}

	if _, err := v1.Store(v1.UIDs()[1:2], storage.AddFlags, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if err := v1.Expunge(nil, false); err != nil {
		t.Fatal(err)
	}
	before := append([]uint32(nil), v2.UIDs()...)
	var r1 recorder
	v1.Poll(true, &r1)
	if v1.Count() != 3 || len(v2.UIDs()) != 4 || v2.UIDs()[1] != before[1] {
		t.Fatalf("v1 count %d; v2 UIDs %v, want %v untouched until it polls", v1.Count(), v2.UIDs(), before)
	}
	v3, _ := a.Select("INBOX", true)
	defer v3.Close()
	if v3.Count() != 3 {
		t.Errorf("a new view sees %d messages, want 3", v3.Count())
	}
	a.Append("INBOX", msg("five"), nil, time.Time{})
	var r2, r3 recorder
	v2.Poll(true, &r2)
	v3.Poll(true, &r3)
	if !strings.HasPrefix(strings.Join(r2.events, ";"), "EXPUNGE 2;EXISTS 4") || strings.Join(r3.events, ";") != "EXISTS 4" {
		t.Errorf("v2 %q, v3 %q", r2.events, r3.events)
	}
	if !slices.Equal(v2.UIDs(), v3.UIDs()) || v2.FirstUnseen() != 4 {
		t.Errorf("FirstUnseen after append = %d, want 4", v2.FirstUnseen())
	}
}

// TestSetNotify: the callback runs for every update queued to the view,
// at once for updates already pending, and no more after nil or Close.
func TestSetNotify(t *testing.T) {
	_, a, _ := newAccount(t)
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	a.Append("INBOX", msg("before"), nil, time.Time{})
	v.SetNotify(func() { calls++ })
	if calls != 1 {
		t.Fatalf("%d calls for a pending update, want 1", calls)
	}
	a.Append("INBOX", msg("during"), nil, time.Time{})
	if calls != 2 {
		t.Fatalf("%d calls after an append, want 2", calls)
	}
	v.SetNotify(nil)
	a.Append("INBOX", msg("after"), nil, time.Time{})
	v.SetNotify(func() { calls++ })
	v.Close()
	a.Append("INBOX", msg("closed"), nil, time.Time{})
	if calls != 3 {
		t.Fatalf("%d calls, want 3 (one for the updates pending at the second SetNotify)", calls)
	}
}

// A message delivered after SELECT read the mailbox but before the view
// settled (it is watched, or its folder asked, only then) is still
// announced.
func TestDeliveryBeforeSettleIsNoticed(t *testing.T) {
	_, a, root := newAccount(t)
	dir := filepath.Join(root, "alice", "INBOX")
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	os.WriteFile(filepath.Join(dir, "tmp", "x"), []byte("Subject: hi\n\nbody\n"), 0o600)
	os.Rename(filepath.Join(dir, "tmp", "x"), filepath.Join(dir, "new", "1700000000.x.host"))
	v.Settle()
	select {
	case <-v.Wake():
	case <-time.After(2 * time.Second):
		t.Fatal("no wake-up within 2 s of a delivery made before the view settled")
	}
	var r recorder
	v.Poll(true, &r)
	if strings.Join(r.events, ";") != "EXISTS 1" {
		t.Errorf("after delivery: %q", r.events)
	}
}

// The same for an MH folder, whose watch also waits for the answer
// (mh.Folder is an Unchanger): a message another program adds between
// the scan and the watch is announced.
func TestMHDeliveryBeforeSettleIsNoticed(t *testing.T) {
	home := t.TempDir()
	box := filepath.Join(home, "Box")
	os.MkdirAll(box, 0o700)
	for _, n := range []string{"1", "2"} {
		os.WriteFile(filepath.Join(box, n), []byte("Subject: "+n+"\n\nbody\n"), 0o600)
	}
	os.WriteFile(filepath.Join(box, ".mh_sequences"), []byte("unseen: 2\n"), 0o600)
	layout := &storage.Layout{Inbox: "maildir:$home/INBOX", DefaultType: "mh"}
	u := storage.User{Name: "alice", Home: home}
	quiet := func() {
		old := time.Now().Add(-time.Hour)
		for _, p := range []string{box, filepath.Join(box, ".mh_sequences"), filepath.Join(box, ".mu-prop")} {
			os.Chtimes(p, old, old)
		}
	}
	for round := 0; round < 2; round++ {
		// The first round's scan writes .mu-prop; the second finds the
		// folder quiet, so that only the check after the watch sees
		// the new message.
		quiet()
		s := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New(), mh.New()},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Linger: -1})
		v, err := s.Account(u, layout).Select("Box", false)
		if err != nil {
			t.Fatal(err)
		}
		n := v.Count()
		name := strconv.Itoa(int(n) + 1)
		os.WriteFile(filepath.Join(box, name), []byte("Subject: new\n\nbody\n"), 0o600)
		v.Settle()
		select {
		case <-v.Wake():
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: no wake-up within 5 s of a message added before the view settled", round)
		}
		var r recorder
		v.Poll(true, &r)
		if want := "EXISTS " + itoa(n+1); strings.Join(r.events, ";") != want {
			t.Errorf("round %d: after the new message: %q, want %q", round, r.events, want)
		}
		v.Close()
		s.Close()
	}
}
