package mbox

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// testDriver returns a driver that retries locks quickly and writes flag
// changes at once.
func testDriver(t testing.TB, opts Options) *Driver {
	t.Helper()
	if opts.RetrySleep == 0 {
		opts.RetrySleep = 10 * time.Millisecond
	}
	if opts.RetryCount == 0 {
		opts.RetryCount = 3
	}
	if opts.FlushDelay == 0 {
		opts.FlushDelay = -1
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return New(opts).(*Driver)
}

// writeMbox writes content as the file name in a new temporary directory.
func writeMbox(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "INBOX")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustOpen(t testing.TB, d *Driver, path string) *Folder {
	t.Helper()
	f, err := d.Open(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f.(*Folder)
}

func mustScan(t testing.TB, f storage.Folder) storage.Snapshot {
	t.Helper()
	s, err := f.Scan()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func uidsOf(s storage.Snapshot) []uint32 {
	var u []uint32
	for _, m := range s.Messages {
		u = append(u, m.UID)
	}
	return u
}

func readAll(t testing.TB, f storage.Folder, uid uint32) string {
	t.Helper()
	r, err := f.Open(uid)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func crlfSize(s string) int64 {
	n, _ := storage.CRLFSize(strings.NewReader(s))
	return n
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkSizes opens every message and compares RFC822.SIZE with what Open
// returns.
func checkSizes(t testing.TB, f storage.Folder, s storage.Snapshot) {
	t.Helper()
	for _, m := range s.Messages {
		if got := crlfSize(readAll(t, f, m.UID)); got != m.Size {
			t.Errorf("uid %d: Size %d, Open gives %d bytes", m.UID, m.Size, got)
		}
	}
}

// checkCold compares the Folder's state with what a new Folder, without
// the index, reads from the file. It holds f's mutex throughout, as every
// method of f does: f's timer (a flag change waits for it however long
// Options.FlushDelay is, see flushDelay) then cannot rewrite the file
// while it is read or f's state while it is compared, so the new Folder
// never waits for f's lock, however slow the machine.
func checkCold(t testing.TB, d *Driver, f *Folder) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	os.Remove(indexPath(f.path))
	g := &Folder{d: d, path: f.path, perm: 0o600, pending: make(map[uint32]want)}
	defer g.Close()
	mustScan(t, g)
	if len(f.msgs) != len(g.msgs) {
		t.Fatalf("in memory %d messages, in the file %d", len(f.msgs), len(g.msgs))
	}
	for i := range f.msgs {
		a, b := f.msgs[i], g.msgs[i]
		if !a.inFile {
			b.uid, b.inFile = a.uid, a.inFile
		}
		if len(f.pending) == 0 {
			a.kw, b.kw = 0, 0 // numbers differ between tables
			if !slices.Equal(f.kw.set(f.msgs[i].kw), g.kw.set(g.msgs[i].kw)) {
				t.Errorf("message %d: keywords %q in memory, %q in the file", i, f.kw.set(f.msgs[i].kw), g.kw.set(g.msgs[i].kw))
			}
		} else {
			a.kw, b.kw, a.bits, b.bits = 0, 0, 0, 0
		}
		if a != b {
			t.Errorf("message %d: in memory %+v, in the file %+v", i, a, b)
		}
	}
	if len(f.msgs) > 0 && (f.validity != g.validity || f.base != g.base) {
		t.Errorf("validity %d base %+v in memory; %d %+v in the file", f.validity, f.base, g.validity, g.base)
	}
}

var testDate = time.Date(2024, 3, 1, 12, 30, 45, 0, time.Local)

// tempPrefix starts the names of the temporary files of rewrites.
func tempPrefix(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".mgtmp")
}

// startHelper starts the test binary as the helper that env names, on
// the mbox at path, with more environment variables (NAME=value) if
// given; it is killed when the test ends.
func startHelper(t testing.TB, env, path string, more ...string) (cmd *exec.Cmd, stdin io.WriteCloser, stdout io.Reader) {
	t.Helper()
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), env+"="+path), more...)
	stdin, _ = cmd.StdinPipe()
	stdout, _ = cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, stdin, stdout
}

// crashSeedEnv names the seed of a crash test's random choices, so that
// a failure can be run again with the same ones (the kill instants still
// vary).
const crashSeedEnv = "MBOX_CRASH_SEED"

// crashSeed returns the seed from crashSeedEnv, or a new one, and logs
// it.
func crashSeed(t testing.TB) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", crashSeedEnv, err)
		}
	}
	t.Logf("seed %d (set %s to replay)", seed, crashSeedEnv)
	return seed
}

// helperSeed returns the seed the test gave a helper, or else one from
// its pid.
func helperSeed() uint64 {
	if seed, err := strconv.ParseUint(os.Getenv(helperSeedEnv), 10, 64); err == nil {
		return seed
	}
	return uint64(os.Getpid())
}

// helperSeedEnv passes a helper the seed of its random choices.
const helperSeedEnv = "MBOX_TEST_HELPER_SEED"

// helperFolder opens and scans the mbox at path in a helper process,
// with flag changes waiting flush; on an error it prints it and reports
// false.
func helperFolder(path string, flush time.Duration) (*Folder, storage.Snapshot, bool) {
	d := New(Options{FlushDelay: flush, Logger: slog.New(slog.DiscardHandler)})
	fo, err := d.Open(path, 0o600)
	if err != nil {
		fmt.Println(err)
		return nil, storage.Snapshot{}, false
	}
	f := fo.(*Folder)
	s, err := f.Scan()
	if err != nil {
		fmt.Println(err)
		return nil, storage.Snapshot{}, false
	}
	return f, s, true
}
