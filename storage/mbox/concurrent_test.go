package mbox

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// pauseRewrites makes the Folder's rewrites stop as they start writing,
// until the returned function is called; started receives a value each
// time one stops.
func pauseRewrites(t *testing.T, f *Folder) (started <-chan struct{}, resume func()) {
	t.Helper()
	ch := make(chan struct{}, 10)
	gate := make(chan struct{})
	f.mu.Lock()
	f.duringWrite = func() {
		ch <- struct{}{}
		<-gate
	}
	f.mu.Unlock()
	closed := false
	resume = func() {
		if !closed {
			closed = true
			close(gate)
		}
	}
	t.Cleanup(resume)
	return ch, resume
}

// within fails the test unless fn returns within d.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s waited for the rewrite", what)
	}
}

// TestReadsDuringRewrite: while a rewrite writes the new file, Scan,
// Open and flag changes go on; changes made meanwhile are neither lost
// nor taken as written, whatever they are.
func TestReadsDuringRewrite(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, imap4dMbox+msgText("four")+msgText("five"))
	f := mustOpen(t, d, path)
	before := mustScan(t, f)
	want := map[uint32]string{}
	for _, m := range before.Messages {
		want[m.UID] = readAll(t, f, m.UID)
	}
	started, resume := pauseRewrites(t, f)

	// A batch (as STORE 1:*) rewrites at once: 1 gets \Flagged, 3 loses
	// its flags.
	errc := make(chan error, 1)
	go func() {
		errc <- f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: {storage.FlagSeen, storage.FlagFlagged}, 3: nil}))
	}()
	<-started
	within(t, 2*time.Second, "Scan, Open and SetFlags", func() {
		s := mustScan(t, f)
		if !slices.Equal(uidsOf(s), uidsOf(before)) {
			t.Errorf("UIDs %v during the rewrite", uidsOf(s))
		}
		for uid, c := range want {
			if got := readAll(t, f, uid); got != c {
				t.Errorf("uid %d during the rewrite: %q", uid, got)
			}
		}
		// 1 goes back to what the old file says, 4 gets a keyword, 5
		// gets \Seen.
		for uid, fl := range map[uint32][]string{1: {storage.FlagSeen}, 4: {"$label1"}, 5: {storage.FlagSeen}} {
			if err := f.SetFlags(uid, fl); err != nil {
				t.Error(err)
			}
		}
	})
	resume()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	flags := map[uint32][]string{}
	for _, m := range mustScan(t, f).Messages {
		flags[m.UID] = m.Flags
	}
	wantFlags := map[uint32][]string{1: {storage.FlagSeen}, 3: nil, 4: {"$label1"}, 5: {storage.FlagSeen}}
	for uid, fl := range wantFlags {
		if !slices.Equal(flags[uid], fl) {
			t.Errorf("uid %d: flags %q; want %q", uid, flags[uid], fl)
		}
	}
	// The batch is in the file; the later changes are pending still.
	file := readFile(t, path)
	if !strings.Contains(file, "Status: ROF\nX-Status: F\nX-UID: 1\n") || !strings.Contains(file, "Subject: two\nStatus: O\nX-UID: 3\n") {
		t.Errorf("the batch is not in the file:\n%s", file)
	}
	f.mu.Lock()
	pending := len(f.pending)
	f.mu.Unlock()
	if pending != 3 {
		t.Errorf("%d changes pending; want 3", pending)
	}
	// Close writes them.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g := mustOpen(t, testDriver(t, Options{}), path)
	for _, m := range mustScan(t, g).Messages {
		if !slices.Equal(m.Flags, wantFlags[m.UID]) {
			t.Errorf("uid %d in the file: flags %q; want %q", m.UID, m.Flags, wantFlags[m.UID])
		}
		if got := readAll(t, g, m.UID); got != want[m.UID] {
			t.Errorf("uid %d in the file: %q", m.UID, got)
		}
	}
	checkCold(t, g.d, g)
}

// TestLockersWaitForRewrite: Append, Expunge and Close, which need the
// file lock that a rewrite holds, wait for it rather than for a lock
// retry, and lose nothing.
func TestLockersWaitForRewrite(t *testing.T) {
	// One try: a wait for our own dot lock would fail at once.
	d := testDriver(t, Options{FlushDelay: 20 * time.Millisecond, RetryCount: -1})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	started, resume := pauseRewrites(t, f)
	if err := f.SetFlags(4, []string{storage.FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	<-started // the timer's rewrite
	type result struct {
		what string
		err  error
	}
	res := make(chan result, 2)
	go func() {
		_, err := f.Append(strings.NewReader("Subject: new\n\nnew\n"), nil, testDate)
		res <- result{"Append", err}
	}()
	go func() {
		time.Sleep(20 * time.Millisecond)
		res <- result{"Expunge", f.Expunge([]uint32{1})}
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case r := <-res:
		t.Fatalf("%s returned during the rewrite: %v", r.what, r.err)
	default:
	}
	resume()
	for range 2 {
		if r := <-res; r.err != nil {
			t.Errorf("%s: %v", r.what, r.err)
		}
	}
	s := mustScan(t, f)
	if !slices.Equal(uidsOf(s), []uint32{3, 4, 5}) {
		t.Fatalf("UIDs %v", uidsOf(s))
	}
	if !storage.HasFlag(s.Messages[1].Flags, storage.FlagDeleted) {
		t.Errorf("uid 4: %q", s.Messages[1].Flags)
	}
	checkSizes(t, f, s)
	checkCold(t, d, f)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSetFlagsBatch: a batch is one rewrite, on disk when it returns,
// whatever FlushDelay says; messages that are gone are skipped, and a
// flag that cannot be stored changes nothing.
func TestSetFlagsBatch(t *testing.T) {
	const n = 300
	var b strings.Builder
	for i := range n {
		b.WriteString(msgText(fmt.Sprint("m", i)))
	}
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, b.String())
	f := mustOpen(t, d, path)
	s := mustScan(t, f)
	changes := map[uint32][]string{9999: {storage.FlagSeen}}
	for _, m := range s.Messages {
		changes[m.UID] = []string{storage.FlagFlagged, "$label2"}
	}
	if err := f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: {"bad,keyword"}, 2: {storage.FlagSeen}})); err == nil {
		t.Error("a keyword with a comma was taken")
	}
	if err := f.SetFlagsBatch(storage.FlagChangesOf(changes)); err != nil {
		t.Fatal(err)
	}
	if f.rewrites != 1 {
		t.Errorf("%d rewrites", f.rewrites)
	}
	if c := strings.Count(readFile(t, path), "X-Status: F\nX-Keywords: $label2\n"); c != n {
		t.Errorf("%d messages flagged in the file; want %d", c, n)
	}
	if len(f.pending) != 0 {
		t.Errorf("%d changes pending", len(f.pending))
	}
	// A batch that changes nothing writes nothing.
	if err := f.SetFlagsBatch(storage.FlagChangesOf(changes)); err != nil || f.rewrites != 1 {
		t.Errorf("unchanged batch: %v, %d rewrites", err, f.rewrites)
	}
	checkCold(t, d, f)
}

// TestStoreIsDurable: through the core, a STORE on many messages is in
// the file when it returns, though FlushDelay would let it wait.
func TestStoreIsDurable(t *testing.T) {
	home := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	s := storage.New(storage.Options{
		Drivers: []storage.Driver{New(Options{FlushDelay: time.Hour, Logger: log})},
		Logger:  log,
	})
	defer s.Close()
	inbox := filepath.Join(home, "INBOX")
	if err := os.WriteFile(inbox, []byte(imap4dMbox+msgText("four")), 0o600); err != nil {
		t.Fatal(err)
	}
	a := s.Account(storage.User{Name: "u", Home: home}, &storage.Layout{
		Inbox: "mbox:$home/INBOX", DefaultType: "mbox",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "", Directory: filepath.Join(home, "mail")}}},
	})
	v, err := a.Select("INBOX", false)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	changed, err := v.Store(v.UIDs(), storage.AddFlags, []string{storage.FlagFlagged})
	if err != nil || len(changed) != 3 {
		t.Fatalf("Store: %v, %v", changed, err)
	}
	// Another Folder reads the file.
	g := mustOpen(t, testDriver(t, Options{}), inbox)
	for _, m := range mustScan(t, g).Messages {
		if !storage.HasFlag(m.Flags, storage.FlagFlagged) {
			t.Errorf("uid %d: %q in the file", m.UID, m.Flags)
		}
	}
}

// TestRewriteErrorKeepsChanges: a rewrite that fails keeps the changes
// pending, and reports them meanwhile.
func TestRewriteErrorKeepsChanges(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	orig := readFile(t, path)
	f.beforeRename = func() error { return errors.New("disk full") }
	if err := f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: nil, 3: nil})); err == nil {
		t.Fatal("the batch did not fail")
	}
	if readFile(t, path) != orig {
		t.Fatal("the file changed")
	}
	if s := mustScan(t, f); len(s.Messages[0].Flags) != 0 || len(s.Messages[1].Flags) != 0 {
		t.Errorf("flags %q %q", s.Messages[0].Flags, s.Messages[1].Flags)
	}
	f.beforeRename = nil
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if c := readFile(t, path); strings.Contains(c, "Status: RO\n") || !strings.Contains(c, "Subject: two\nStatus: O\nX-UID: 3\n") {
		t.Errorf("Close did not write the changes:\n%s", c)
	}
}

// TestSmallMailboxFlushesSoon: the flag change of a single message in a
// small mailbox is on disk a moment later, however long FlushDelay
// would let it wait.
func TestSmallMailboxFlushesSoon(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	delay := f.flushDelay()
	f.mu.Unlock()
	if delay != flushFloor {
		t.Errorf("flag changes wait %v", delay)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(readFile(t, path), "Status: OF\n") {
		if time.Now().After(deadline) {
			t.Fatalf("not written:\n%s", readFile(t, path))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A large mailbox waits longer, up to FlushDelay.
	f.mu.Lock()
	f.lastRewrite = 10 * time.Second
	delay = f.flushDelay()
	f.lastRewrite = time.Hour
	longest := f.flushDelay()
	f.mu.Unlock()
	if delay != 20*time.Second || longest != time.Hour {
		t.Errorf("after a 10s rewrite, flag changes wait %v; after an hour's, %v", delay, longest)
	}
}

// TestOwnRewriteNotReread: after a rewrite, Scan and Open use what the
// rewrite knows of the new file; they do not parse it again.
func TestOwnRewriteNotReread(t *testing.T) {
	d := testDriver(t, Options{})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	parses := f.parses
	if err := f.SetFlagsBatch(storage.FlagChangesOf(map[uint32][]string{1: nil, 4: {storage.FlagSeen}})); err != nil {
		t.Fatal(err)
	}
	if err := f.Expunge([]uint32{3}); err != nil {
		t.Fatal(err)
	}
	s := mustScan(t, f)
	checkSizes(t, f, s)
	if f.parses != parses || f.rewrites != 2 {
		t.Errorf("%d parses, %d rewrites", f.parses-parses, f.rewrites)
	}
}
