//go:build unix

package mbox

import (
	"bufio"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// storerEnv makes the test binary a helper that, through the storage
// core, stores flags on the mbox it names until it is killed: first the
// STOREs of issue 8 item 3 (UID STORE 1 +FLAGS (\Flagged), then UID
// STORE 1:2 +FLAGS (\Flagged), where only 2 changes), then at random on
// one message or several. Before each it prints "try UID=FLAGS...", and
// after it returned "ack UID=FLAGS...", the flags the core reports.
const storerEnv = "MBOX_TEST_STORER"

func storeForever(path string) int {
	log := slog.New(slog.DiscardHandler)
	s := storage.New(storage.Options{
		Drivers: []storage.Driver{New(Options{FlushDelay: 20 * time.Millisecond, Logger: log})},
		Logger:  log,
	})
	home := filepath.Dir(path)
	a := s.Account(storage.User{Name: "u", Home: home}, &storage.Layout{
		Inbox: "mbox:" + path, DefaultType: "mbox",
		Personal: storage.Namespace{Prefixes: []storage.Prefix{{Prefix: "", Directory: filepath.Join(home, "mail")}}},
	})
	v, err := a.Select("INBOX", false)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	uids := v.UIDs()
	report := func(word string, sel []uint32, flags func(i int) []string) {
		var b strings.Builder
		b.WriteString(word)
		for i, uid := range sel {
			fmt.Fprintf(&b, " %d=%s", uid, strings.Join(flags(i), ","))
		}
		fmt.Println(b.String())
	}
	store := func(sel []uint32, op storage.StoreOp, flags []string, want func(i int) []string) bool {
		report("try", sel, want)
		if _, err := v.Store(sel, op, flags); err != nil {
			fmt.Println(err)
			return false
		}
		msgs := make([]storage.Message, len(sel))
		v.Lookup(sel, msgs)
		report("ack", sel, func(i int) []string {
			return slices.DeleteFunc(slices.Clone(msgs[i].Flags), func(f string) bool { return f == `\Recent` })
		})
		return true
	}
	flagged := func(int) []string { return []string{storage.FlagFlagged} }
	if !store(uids[:1], storage.AddFlags, []string{storage.FlagFlagged}, flagged) ||
		!store(uids[:2], storage.AddFlags, []string{storage.FlagFlagged}, flagged) {
		return 1
	}
	fmt.Println("ready")
	rng := rand.New(rand.NewPCG(helperSeed(), 3))
	choices := []string{storage.FlagSeen, storage.FlagFlagged, storage.FlagAnswered, "$label1", "Junk"}
	for {
		first := rng.IntN(len(uids))
		n := 1
		if rng.IntN(3) == 0 {
			n = 1 + rng.IntN(6)
		}
		sel := uids[first:min(first+n, len(uids))]
		var flags []string
		for _, c := range choices {
			if rng.IntN(2) == 0 {
				flags = append(flags, c)
			}
		}
		sorted := slices.Clone(flags)
		slices.Sort(sorted)
		if !store(sel, storage.ReplaceFlags, flags, func(int) []string { return sorted }) {
			return 1
		}
	}
}

// parseReport reads "word UID=FLAGS..." lines.
func parseReport(line string) (string, map[uint32]string) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "", nil
	}
	out := make(map[uint32]string)
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		uid, _ := strconv.ParseUint(k, 10, 32)
		fl := strings.Split(v, ",")
		if v == "" {
			fl = nil
		}
		slices.Sort(fl)
		out[uint32(uid)] = strings.Join(fl, ",")
	}
	return f[0], out
}

// TestKilledDuringStore (issue 8 item 3) kills a process storing flags
// through the core at random instants: every STORE it was answered for
// is there after a restart, as a fresh Folder reads the mailbox, and in
// the mbox file itself once that Folder has written what it replayed.
// For a message whose STORE was under way, the old or the new flags are
// both right. Round 0 kills right after the two STOREs of the issue.
//
// The mailbox is small, so that STOREs often change a message whose
// change the timer's rewrite is writing (a journal record made then
// was once replayed onto the wrong flags). The helper's choices and
// the kill instants come from crashSeed.
func TestKilledDuringStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many processes")
	}
	var b strings.Builder
	for i := range 8 {
		b.WriteString(msgText(fmt.Sprint("delivered ", i)))
	}
	b.WriteString(imap4dMbox)
	path := writeMbox(t, b.String())
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 6))
	acks := 0
	for round := range 40 {
		cmd, _, stdout := startHelper(t, storerEnv, path, fmt.Sprintf("%s=%d", helperSeedEnv, seed+uint64(round)))
		lines := make(chan string, 1<<16)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		acked := map[uint32]string{}
		inFlight := map[uint32]string{}
		read := func(line string) {
			word, m := parseReport(line)
			switch word {
			case "try":
				inFlight = m
			case "ack":
				for uid, fl := range m {
					acked[uid] = fl
				}
				inFlight = nil
				acks++
			case "ready":
			default:
				t.Fatalf("round %d: helper says %q", round, line)
			}
		}
		for line := range lines {
			read(line)
			if line == "ready" {
				break
			}
		}
		issue := maps.Clone(acked)
		if round > 0 {
			time.Sleep(time.Duration(rng.IntN(300_000)) * time.Microsecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		for line := range lines {
			read(line)
		}
		check := func(what string, s storage.Snapshot) {
			t.Helper()
			for _, m := range s.Messages {
				want, ok := acked[m.UID]
				if !ok {
					continue
				}
				fl := slices.Clone(m.Flags)
				slices.Sort(fl)
				got := strings.Join(fl, ",")
				if next, busy := inFlight[m.UID]; got != want && !(busy && got == next) {
					t.Fatalf("round %d, %s: uid %d has %q; the last STORE answered gave %q", round, what, m.UID, got, want)
				}
			}
		}
		d := testDriver(t, Options{FlushDelay: time.Hour})
		g := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
		check("restart", mustScan(t, g))
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		if j := ownFiles(path, kindJournal); len(j) != 0 {
			t.Fatalf("round %d: journals left after Close: %v", round, j)
		}
		os.Remove(indexPath(path))
		cold := &Folder{d: d, path: path, perm: 0o600, pending: make(map[uint32]want)}
		check("in the file", mustScan(t, cold))
		cold.Close()
		if round == 0 {
			if issue[1] != storage.FlagFlagged || issue[2] != storage.FlagFlagged {
				t.Fatalf("round 0: the STOREs of the issue were answered %v", issue)
			}
		}
	}
	t.Logf("%d STOREs answered", acks)
}
