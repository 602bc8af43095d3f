package mbox

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// droppedReader yields n bytes of a message, then fails as a connection
// dropped in the middle of a literal does.
type droppedReader struct {
	r   io.Reader
	err error
}

func (d *droppedReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == io.EOF {
		return n, d.err
	}
	return n, err
}

// bigMessage is a message of about n bytes, with a From_ line in its body
// to quote.
func bigMessage(subject string, n int) string {
	var b strings.Builder
	b.WriteString("Subject: " + subject + "\r\nX-UID: 77\r\n\r\nFrom the body\r\n")
	for b.Len() < n {
		b.WriteString("a line of the body of the message, long enough to fill it\r\n")
	}
	return b.String()
}

// TestDroppedAppendStoresNothing (issue 8 item 1): an APPEND whose
// reader fails, io.ErrUnexpectedEOF included, leaves the mbox exactly as
// it was, whether it went through Append or Stage; Stage leaves no spool
// and returns the reader's error.
func TestDroppedAppendStoresNothing(t *testing.T) {
	for _, readErr := range []error{io.ErrUnexpectedEOF, errors.New("connection reset")} {
		for _, size := range []int{418, 300_000} {
			d := testDriver(t, Options{})
			path := writeMbox(t, imap4dMbox)
			f := mustOpen(t, d, path)
			before := mustScan(t, f)
			orig := readFile(t, path)
			msg := bigMessage("dropped", size)
			dropped := func() io.Reader {
				return &droppedReader{r: strings.NewReader(msg[:len(msg)/2]), err: readErr}
			}

			if _, err := f.Append(dropped(), nil, testDate); !errors.Is(err, readErr) {
				t.Errorf("Append: %v; want %v", err, readErr)
			}
			if readFile(t, path) != orig {
				t.Fatalf("Append of %d bytes, %v: the file changed", size, readErr)
			}
			parses := f.parses
			sameSnapshot(t, mustScan(t, f), before)
			if f.parses != parses {
				t.Errorf("the file was parsed again after a failed append")
			}

			st, err := f.Stage(dropped(), []string{storage.FlagSeen}, testDate)
			if !errors.Is(err, readErr) || st != nil {
				t.Errorf("Stage: %v, %v; want %v", st, err, readErr)
			}
			if readFile(t, path) != orig {
				t.Fatalf("Stage of %d bytes, %v: the file changed", size, readErr)
			}
			if m := ownFiles(path, kindSpool); len(m) != 0 {
				t.Errorf("spool files left: %v", m)
			}
			sameSnapshot(t, mustScan(t, f), before)
			m, err := f.Append(strings.NewReader(msg), nil, testDate)
			if err != nil || m.UID != before.UIDNext {
				t.Errorf("Append after: %+v, %v", m, err)
			}
		}
	}
}

// TestStageCommitMatchesAppend: a staged message lands in the file byte
// for byte as Append writes it, first message (X-IMAPbase) or not; Abort
// and a second Commit leave nothing behind.
func TestStageCommitMatchesAppend(t *testing.T) {
	msgs := []struct {
		text  string
		flags []string
	}{
		{bigMessage("one", 100), []string{storage.FlagSeen, "$label1"}},
		{"Subject: no body", nil},
		{bigMessage("three", 200_000), []string{storage.FlagFlagged}},
		{"Subject: four\r\nStatus: RO\r\n\r\n>From x\r\nFrom y\r\nend without newline", []string{storage.FlagDraft}},
	}
	appended := writeMbox(t, "")
	staged := writeMbox(t, "")
	uv := uint32(1000)
	d := testDriver(t, Options{UIDValidity: func() uint32 { return uv }})
	fa, fs := mustOpen(t, d, appended), mustOpen(t, d, staged)
	for i, m := range msgs {
		a, err := fa.Append(strings.NewReader(m.text), m.flags, testDate)
		if err != nil {
			t.Fatal(err)
		}
		st, err := fs.Stage(strings.NewReader(m.text), m.flags, testDate)
		if err != nil {
			t.Fatal(err)
		}
		s, err := st.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if a.UID != s.UID || a.Size != s.Size || !slices.Equal(a.Flags, s.Flags) || !a.InternalDate.Equal(s.InternalDate) {
			t.Errorf("message %d: Append %+v, Stage %+v", i, a, s)
		}
		if _, err := st.Commit(); err == nil {
			t.Error("a second Commit worked")
		}
	}
	if a, s := readFile(t, appended), readFile(t, staged); a != s {
		t.Errorf("files differ:\nAppend:\n%s\nStage:\n%s", a, s)
	}
	st, err := fs.Stage(strings.NewReader("Subject: aborted\r\n\r\nx\r\n"), nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if m := ownFiles(staged, kindSpool); len(m) != 1 {
		t.Errorf("spool files while staged: %v", m)
	}
	if err := st.Abort(); err != nil {
		t.Fatal(err)
	}
	if m := ownFiles(staged, kindSpool); len(m) != 0 {
		t.Errorf("spool files left: %v", m)
	}
	if c := readFile(t, staged); strings.Contains(c, "aborted") {
		t.Error("an aborted message was stored")
	}
	checkCold(t, d, fs)
}

// TestStageHoldsNoLock (issue 8 item 2): while a Stage waits for its
// client, another Folder on the same file scans and appends (the mailbox
// lock is free: with 3 tries 10ms apart, a held lock would fail it), and
// the same Folder scans, reads, appends and changes flags (its mutex is
// free: a held one would hang the test). The staged message then gets
// the next UID.
func TestStageHoldsNoLock(t *testing.T) {
	d := testDriver(t, Options{FlushDelay: time.Hour})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	other := mustOpen(t, testDriver(t, Options{}), path)

	pr, pw := io.Pipe()
	type result struct {
		st  storage.Staged
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := f.Stage(pr, nil, testDate)
		done <- result{st, err}
	}()
	// Half the message: the Stage is now inside its read.
	if _, err := pw.Write([]byte("Subject: slow\r\n\r\nfirst half\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Append(strings.NewReader("Subject: other\r\n\r\nx\r\n"), nil, testDate); err != nil {
		t.Fatalf("another Folder could not append during a Stage: %v", err)
	}
	if s := mustScan(t, other); len(s.Messages) != 4 {
		t.Fatalf("other Folder: %d messages", len(s.Messages))
	}
	s := mustScan(t, f)
	if len(s.Messages) != 4 {
		t.Fatalf("same Folder: %d messages", len(s.Messages))
	}
	readAll(t, f, 1)
	if err := f.SetFlags(1, []string{storage.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	mine, err := f.Append(strings.NewReader("Subject: mine\r\n\r\ny\r\n"), nil, testDate)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte("second half\r\n"))
	pw.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	m, err := r.st.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if m.UID != mine.UID+1 {
		t.Errorf("staged message has UID %d; want %d", m.UID, mine.UID+1)
	}
	if got := readAll(t, f, m.UID); got != "Subject: slow\n\nfirst half\nsecond half\n" {
		t.Errorf("staged message reads %q", got)
	}
	checkCold(t, d, f)
}

// TestStageConcurrent: many Stages run beside Scans, Opens, Appends,
// flag changes and Commits of the same Folder and of another one on the
// same file (run with -race); every message is stored once, whole.
func TestStageConcurrent(t *testing.T) {
	d := testDriver(t, Options{RetryCount: 200, FlushDelay: 5 * time.Millisecond})
	path := writeMbox(t, imap4dMbox)
	f := mustOpen(t, d, path)
	mustScan(t, f)
	other := mustOpen(t, testDriver(t, Options{RetryCount: 200, FlushDelay: 5 * time.Millisecond}), path)
	var mu sync.Mutex // the core serialises every call but Stage
	var wg sync.WaitGroup
	const n = 8
	errs := make(chan error, 4*n)
	for i := range n {
		wg.Go(func() {
			st, err := f.Stage(strings.NewReader(bigMessage("staged", 1000*i)), []string{storage.FlagSeen}, time.Time{})
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if _, err := st.Commit(); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			mu.Lock()
			defer mu.Unlock()
			s, err := f.Scan()
			if err == nil {
				uid := s.Messages[i%len(s.Messages)].UID
				if err = f.SetFlags(uid, []string{storage.FlagAnswered}); err == nil {
					var rc io.ReadCloser
					if rc, err = f.Open(uid); err == nil {
						rc.Close()
					}
				}
			}
			if err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			if _, err := other.Append(strings.NewReader("Subject: other\r\n\r\nx\r\n"), nil, time.Time{}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := mustScan(t, f)
	if len(s.Messages) != 3+2*n {
		t.Errorf("%d messages; want %d", len(s.Messages), 3+2*n)
	}
	checkSizes(t, f, s)
	if m := ownFiles(path, kindSpool); len(m) != 0 {
		t.Errorf("spool files left: %v", m)
	}
	f.Close()
	g := mustOpen(t, d, path)
	mustScan(t, g)
	checkCold(t, d, g)
}

// TestStageUnwritableDir: where the mailbox's directory takes no new
// files, the spool goes to the temporary directory. (The APPEND intent
// is a file there already: without it the Commit is refused, see
// TestAppendRefusedWithoutIntent.)
func TestStageUnwritableDir(t *testing.T) {
	if !asNobody(t) {
		return
	}
	d := testDriver(t, Options{Type: "kernel"})
	path := writeMbox(t, imap4dMbox)
	if err := os.WriteFile(intentPath(path), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := mustOpen(t, d, path)
	mustScan(t, f)
	dir := filepath.Dir(path)
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	st, err := f.Stage(strings.NewReader("Subject: x\r\n\r\ny\r\n"), nil, testDate)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.Commit()
	if err != nil || m.UID != 5 {
		t.Fatalf("Commit: %+v, %v", m, err)
	}
}
