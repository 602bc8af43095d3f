//go:build unix

package main_test

// The crash test of issue 8 ("Done means"): clients change maildir, mbox
// and MH mailboxes over IMAP while the daemon is killed with SIGKILL at
// random moments; after each restart every change the server answered
// with a tagged OK must be on disk, and nothing it did not acknowledge
// may appear half done.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashFormats are the mailbox formats under test, each under a prefix
// of its own.
var crashFormats = []struct{ name, prefix string }{
	{"maildir", "#maildir/"},
	{"mbox", "#mbox/"},
	{"mh", "#mh/"},
}

// crashConfig gives each format a prefix whose mailboxes are all of it.
func crashConfig() string {
	var b strings.Builder
	b.WriteString("[namespace.personal]\n")
	b.WriteString("[[namespace.personal.prefix]]\nprefix = \"\"\ndirectory = \"$home\"\n")
	for _, f := range crashFormats {
		fmt.Fprintf(&b, "[[namespace.personal.prefix]]\nprefix = %q\ndirectory = \"$home/%s\"\nmailbox-type = %q\n",
			f.prefix, f.name, f.name)
	}
	return b.String()
}

// crashSeed is the seed of the random choices, from MAILGATE_CRASH_SEED
// when set, so that a failure can be replayed.
func crashSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("MAILGATE_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (set MAILGATE_CRASH_SEED to replay)", seed)
	return seed
}

// TestCrashKeepsAcknowledgedChanges runs, for every format at once, a
// client doing APPEND, STORE on one and on several messages, EXPUNGE,
// COPY and MOVE; kills the daemon with SIGKILL at a random moment; starts
// it again; and checks every mailbox against what the server
// acknowledged.
func TestCrashKeepsAcknowledgedChanges(t *testing.T) {
	rounds := 16
	if testing.Short() {
		rounds = 4
	}
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	d := startDaemon(t, crashConfig(), "")
	models := make([]*crashModel, len(crashFormats))
	for i, f := range crashFormats {
		models[i] = newCrashModel(f.name, f.prefix, rand.New(rand.NewPCG(rng.Uint64(), uint64(i))))
		if err := models[i].setUp(d); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
	}
	for round := 1; round <= rounds; round++ {
		var wg sync.WaitGroup
		for _, m := range models {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.work(d)
			}()
		}
		// Let the clients work for a while, then kill the daemon
		// wherever it is.
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		d.kill()
		wg.Wait()
		d = d.restart(t)
		for _, m := range models {
			for _, problem := range m.verify(d) {
				t.Errorf("%s, round %d: %s", m.format, round, problem)
			}
		}
	}
	for _, m := range models {
		t.Logf("%s: acknowledged %s", m.format, m.countsText())
	}
	d.stop(10 * time.Second)
}

// kill sends SIGKILL and waits for the process to be gone.
func (d *daemon) kill() {
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
	d.stopped = true
}

// restart starts the daemon again on the same configuration and data
// (the first-run user exists now, so no password is printed) and waits
// until it accepts connections.
func (d *daemon) restart(t *testing.T) *daemon {
	t.Helper()
	n := &daemon{t: t, cfg: d.cfg, addr: d.addr, password: d.password, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	n.cmd = exec.Command(mailgateBin, "--config", d.cfg.path)
	n.cmd.Stdout, n.cmd.Stderr = io.Discard, n.stderr
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		n.cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-n.exited:
		default:
			n.cmd.Process.Kill()
			<-n.exited
		}
		if t.Failed() {
			var notes []string
			for _, l := range strings.Split(n.stderr.String(), "\n") {
				if !strings.Contains(l, "level=INFO") && l != "" {
					notes = append(notes, l)
				}
			}
			if len(notes) > 0 {
				t.Logf("daemon stderr after a restart, beyond INFO:\n%s", strings.Join(notes, "\n"))
			}
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-n.exited:
			t.Fatalf("mailgate exited after a restart (%v):\n%s", n.cmd.ProcessState, n.stderr.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", n.addr, time.Second); err == nil {
			c.Close()
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailgate did not listen on %s within 10s of a restart:\n%s", n.addr, n.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// crashConn is an IMAP client connection that reports errors instead of
// failing the test: the daemon is killed under it.
type crashConn struct {
	conn net.Conn
	r    *bufio.Reader
	tags int
}

func dialCrash(d *daemon) (*crashConn, error) {
	conn, err := net.DialTimeout("tcp", d.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c := &crashConn{conn: conn, r: bufio.NewReader(conn)}
	if _, _, err := c.readLine(); err != nil { // the greeting
		conn.Close()
		return nil, err
	}
	if _, err := c.ok("LOGIN mailgate " + quoted(d.password)); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

var literalRE = regexp.MustCompile(`\{(\d+)\}$`)

// readLine reads one response line with the literals in it: text has
// each literal's marker ({n}) and not its bytes, which lits holds.
func (c *crashConn) readLine() (text string, lits [][]byte, err error) {
	var b strings.Builder
	c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		s, err := c.r.ReadString('\n')
		if err != nil {
			return b.String(), lits, err
		}
		s = strings.TrimRight(s, "\r\n")
		b.WriteString(s)
		m := literalRE.FindStringSubmatch(s)
		if m == nil {
			return b.String(), lits, nil
		}
		n, _ := strconv.Atoi(m[1])
		lit := make([]byte, n)
		if _, err := io.ReadFull(c.r, lit); err != nil {
			return b.String(), lits, err
		}
		lits = append(lits, lit)
	}
}

// response is what one command got: its untagged lines (with their
// literals) and the tagged line.
type response struct {
	untagged []string
	lits     [][][]byte
	tagged   string
}

// command sends a command (with a LITERAL+ literal when lit is not nil)
// and reads up to its tagged reply. An error means the reply did not
// arrive: the command may or may not have taken effect.
func (c *crashConn) command(cmd string, lit []byte) (*response, error) {
	c.tags++
	tag := "c" + strconv.Itoa(c.tags)
	var out bytes.Buffer
	out.WriteString(tag + " " + cmd)
	if lit != nil {
		fmt.Fprintf(&out, " {%d+}\r\n", len(lit))
		out.Write(lit)
	}
	out.WriteString("\r\n")
	c.conn.SetWriteDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.conn.Write(out.Bytes()); err != nil {
		return nil, err
	}
	r := &response{}
	for {
		line, lits, err := c.readLine()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(line, tag+" ") {
			r.tagged = line
			return r, nil
		}
		r.untagged = append(r.untagged, line)
		r.lits = append(r.lits, lits)
	}
}

// refused is a command the server answered with NO or BAD: the daemon
// was running, so this is a failure of its own.
type refused struct{ cmd, reply string }

func (r *refused) Error() string { return fmt.Sprintf("%q answered %q", r.cmd, r.reply) }

// ok runs a command that must succeed.
func (c *crashConn) ok(cmd string) (*response, error) {
	r, err := c.command(cmd, nil)
	if err != nil {
		return nil, err
	}
	if _, status, _ := strings.Cut(r.tagged, " "); !strings.HasPrefix(status, "OK") {
		return r, &refused{cmd, r.tagged}
	}
	return r, nil
}

// crashMsg is what the model knows of one message.
type crashMsg struct {
	id    string   // its X-Crash-Id
	flags []string // sorted, without \Recent
	// why is the acknowledged command that gave it these flags, for
	// reports.
	why string
}

// crashOp is a command sent but not answered when the daemon died: it
// may have taken effect, wholly or (for several messages) in part.
type crashOp struct {
	cmd  string
	kind string // "APPEND", "STORE", "EXPUNGE", "COPY", "MOVE"
	box  string // the mailbox it works on (APPEND's target)
	dest string // COPY and MOVE's destination
	uids []uint32
	// APPEND: the message's id and flags. STORE: the flags and whether
	// they are added.
	id    string
	flags []string
	add   bool
}

// crashModel is one format's mailboxes as the server acknowledged them,
// and the client that changes them.
type crashModel struct {
	format, prefix string
	rng            *rand.Rand

	boxes    map[string]map[uint32]crashMsg // "src" and "dst", by UID
	validity map[string]uint32
	bodies   map[string][]byte // every message sent, by id
	nextID   int
	pending  *crashOp
	// removed holds the UIDs that an acknowledged EXPUNGE or MOVE took
	// out of each box, with the command.
	removed map[string]map[uint32]string
	// damaged holds the UIDs of messages found not whole, reported once
	// and left out of the model from then on.
	damaged map[string]map[uint32]bool
	counts  map[string]int
	err     error // a failure of the client other than the kill
}

// crashBoxes are the mailboxes of each format.
var crashBoxes = []string{"src", "dst"}

func newCrashModel(format, prefix string, rng *rand.Rand) *crashModel {
	m := &crashModel{format: format, prefix: prefix, rng: rng,
		boxes: map[string]map[uint32]crashMsg{}, validity: map[string]uint32{},
		bodies: map[string][]byte{}, counts: map[string]int{},
		removed: map[string]map[uint32]string{}, damaged: map[string]map[uint32]bool{}}
	for _, b := range crashBoxes {
		m.boxes[b] = map[uint32]crashMsg{}
		m.removed[b] = map[uint32]string{}
		m.damaged[b] = map[uint32]bool{}
	}
	return m
}

func (m *crashModel) name(box string) string { return quoted(m.prefix + box) }

// setUp creates the mailboxes and notes their UIDVALIDITY.
func (m *crashModel) setUp(d *daemon) error {
	c, err := dialCrash(d)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	for _, b := range crashBoxes {
		if _, err := c.ok("CREATE " + m.name(b)); err != nil {
			return err
		}
		r, err := c.ok("SELECT " + m.name(b))
		if err != nil {
			return err
		}
		m.validity[b] = uidValidityOf(r)
	}
	return nil
}

var uidValidityRE = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)

func uidValidityOf(r *response) uint32 {
	for _, l := range r.untagged {
		if s := uidValidityRE.FindStringSubmatch(l); s != nil {
			n, _ := strconv.ParseUint(s[1], 10, 32)
			return uint32(n)
		}
	}
	return 0
}

// crashFlags are the flags STORE and APPEND choose from.
var crashFlags = []string{`\Seen`, `\Answered`, `\Flagged`, `\Draft`, `$Work`}

func (m *crashModel) someFlags() []string {
	var f []string
	for _, x := range crashFlags {
		if m.rng.IntN(3) == 0 {
			f = append(f, x)
		}
	}
	return f
}

// newMessage makes a message with a new id: mostly small, sometimes
// large enough that a kill may land in the middle of writing it.
func (m *crashModel) newMessage() (string, []byte) {
	m.nextID++
	id := fmt.Sprintf("%s-%d", m.format, m.nextID)
	var b bytes.Buffer
	fmt.Fprintf(&b, "X-Crash-Id: %s\r\nSubject: crash test %s\r\nMessage-ID: <%s@crash.test>\r\n\r\n", id, id, id)
	lines := 5 + m.rng.IntN(60)
	if m.rng.IntN(4) == 0 {
		lines = 2000 + m.rng.IntN(6000)
	}
	for i := range lines {
		fmt.Fprintf(&b, "line %d of message %s, which must come back whole\r\n", i, id)
	}
	m.bodies[id] = b.Bytes()
	return id, b.Bytes()
}

// uids returns a box's UIDs in order.
func (m *crashModel) uids(box string) []uint32 {
	var u []uint32
	for uid := range m.boxes[box] {
		u = append(u, uid)
	}
	slices.Sort(u)
	return u
}

func (m *crashModel) pick(box string, n int) []uint32 {
	u := m.uids(box)
	m.rng.Shuffle(len(u), func(i, j int) { u[i], u[j] = u[j], u[i] })
	u = u[:min(n, len(u))]
	slices.Sort(u)
	return u
}

// work runs commands until the connection breaks (the daemon is
// killed), recording each acknowledged change in the model and the
// command in flight when it broke.
func (m *crashModel) work(d *daemon) {
	c, err := dialCrash(d)
	if err != nil {
		return // killed before the client got in
	}
	defer c.conn.Close()
	box := crashBoxes[m.rng.IntN(2)]
	other := "dst"
	if box == "dst" {
		other = "src"
	}
	if _, err := c.ok("SELECT " + m.name(box)); err != nil {
		if _, ok := err.(*refused); ok {
			m.fail(err)
		}
		return
	}
	for {
		op := m.nextOp(box, other)
		if err := m.run(c, op); err != nil {
			if _, ok := err.(*refused); ok {
				m.fail(err)
				return
			}
			m.pending = op
			return
		}
		m.counts[op.kind]++
	}
}

func (m *crashModel) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

// nextOp chooses the next command on the selected box.
func (m *crashModel) nextOp(box, other string) *crashOp {
	n := len(m.boxes[box])
	choice := m.rng.IntN(100)
	switch {
	case n == 0 || choice < 25 && n < 40:
		id, _ := m.newMessage()
		target := box
		if m.rng.IntN(3) == 0 {
			target = other
		}
		return &crashOp{kind: "APPEND", box: target, id: id, flags: m.someFlags()}
	case choice < 45:
		return &crashOp{kind: "STORE", box: box, uids: m.pick(box, 1), flags: m.someFlags(), add: m.rng.IntN(3) > 0}
	case choice < 65:
		return &crashOp{kind: "STORE", box: box, uids: m.pick(box, 2+m.rng.IntN(5)), flags: m.someFlags(), add: m.rng.IntN(3) > 0}
	case choice < 75 || n >= 40:
		return &crashOp{kind: "EXPUNGE", box: box, uids: m.pick(box, 1+m.rng.IntN(2))}
	case choice < 88:
		return &crashOp{kind: "COPY", box: box, dest: other, uids: m.pick(box, 1+m.rng.IntN(2))}
	default:
		return &crashOp{kind: "MOVE", box: box, dest: other, uids: m.pick(box, 1+m.rng.IntN(2))}
	}
}

var (
	appendUIDRE = regexp.MustCompile(`\[APPENDUID (\d+) (\d+)\]`)
	copyUIDRE   = regexp.MustCompile(`\[COPYUID (\d+) ([0-9:,]+) ([0-9:,]+)\]`)
)

// run sends op and, once it is acknowledged, applies it to the model.
// EXPUNGE is two commands (STORE \Deleted, then UID EXPUNGE); only the
// second is the one in flight when the first was acknowledged.
func (m *crashModel) run(c *crashConn, op *crashOp) error {
	set := uidSet(op.uids)
	switch op.kind {
	case "APPEND":
		op.cmd = fmt.Sprintf("APPEND %s (%s)", m.name(op.box), strings.Join(op.flags, " "))
		r, err := c.command(op.cmd, m.bodies[op.id])
		if err != nil {
			return err
		}
		s := appendUIDRE.FindStringSubmatch(r.tagged)
		if s == nil {
			return &refused{op.cmd, r.tagged}
		}
		uid, _ := strconv.ParseUint(s[2], 10, 32)
		m.boxes[op.box][uint32(uid)] = crashMsg{id: op.id, flags: sortedFlags(op.flags), why: op.cmd}
	case "STORE":
		sign := "-"
		if op.add {
			sign = "+"
		}
		op.cmd = fmt.Sprintf("UID STORE %s %sFLAGS.SILENT (%s)", set, sign, strings.Join(op.flags, " "))
		if _, err := c.ok(op.cmd); err != nil {
			return err
		}
		for _, uid := range op.uids {
			msg := m.boxes[op.box][uid]
			msg.flags, msg.why = applyFlags(msg.flags, op.flags, op.add), op.cmd
			m.boxes[op.box][uid] = msg
		}
	case "EXPUNGE":
		del := &crashOp{kind: "STORE", box: op.box, uids: op.uids, flags: []string{`\Deleted`}, add: true}
		if err := m.run(c, del); err != nil {
			*op = *del
			return err
		}
		op.cmd = "UID EXPUNGE " + set
		if _, err := c.ok(op.cmd); err != nil {
			return err
		}
		for _, uid := range op.uids {
			delete(m.boxes[op.box], uid)
			m.removed[op.box][uid] = op.cmd
		}
	case "COPY", "MOVE":
		op.cmd = fmt.Sprintf("UID %s %s %s", op.kind, set, m.name(op.dest))
		r, err := c.ok(op.cmd)
		if err != nil {
			return err
		}
		var src, dst []uint32
		for _, l := range append(r.untagged, r.tagged) {
			if s := copyUIDRE.FindStringSubmatch(l); s != nil {
				src, dst = parseUIDSet(s[2]), parseUIDSet(s[3])
			}
		}
		if len(src) != len(op.uids) || len(dst) != len(src) {
			return &refused{op.cmd, fmt.Sprintf("COPYUID for %v of %v in %q %q", src, op.uids, r.untagged, r.tagged)}
		}
		for i, uid := range src {
			msg := m.boxes[op.box][uid]
			msg.why = op.cmd
			m.boxes[op.dest][dst[i]] = msg
			if op.kind == "MOVE" {
				delete(m.boxes[op.box], uid)
				m.removed[op.box][uid] = op.cmd
			}
		}
	}
	return nil
}

// found is a message as the restarted daemon shows it.
type found struct {
	id    string
	flags []string
	body  []byte
}

var (
	fetchUIDRE   = regexp.MustCompile(`[( ]UID (\d+)`)
	fetchFlagsRE = regexp.MustCompile(`FLAGS \(([^)]*)\)`)
	crashIDRE    = regexp.MustCompile(`(?m)^X-Crash-Id: (\S+)\r?$`)
)

// read fetches every message of a box from the restarted daemon.
func (m *crashModel) read(c *crashConn, box string) (map[uint32]found, uint32, error) {
	r, err := c.ok("SELECT " + m.name(box))
	if err != nil {
		return nil, 0, err
	}
	validity := uidValidityOf(r)
	r, err = c.ok("UID FETCH 1:* (UID FLAGS BODY.PEEK[])")
	if err != nil {
		return nil, 0, err
	}
	out := map[uint32]found{}
	for i, l := range r.untagged {
		if !strings.Contains(l, " FETCH ") {
			continue
		}
		u := fetchUIDRE.FindStringSubmatch(l)
		f := fetchFlagsRE.FindStringSubmatch(l)
		if u == nil || f == nil || len(r.lits[i]) != 1 {
			return nil, 0, fmt.Errorf("unexpected FETCH response %q", l)
		}
		uid, _ := strconv.ParseUint(u[1], 10, 32)
		msg := found{flags: sortedFlags(strings.Fields(f[1])), body: r.lits[i][0]}
		if s := crashIDRE.FindSubmatch(msg.body); s != nil {
			msg.id = string(s[1])
		}
		out[uint32(uid)] = msg
	}
	return out, validity, nil
}

// verify compares the restarted daemon's mailboxes with the model and
// returns the problems found; then the model takes what is there, with
// the outcome of the command in flight.
func (m *crashModel) verify(d *daemon) []string {
	var problems []string
	if m.err != nil {
		problems = append(problems, "the client failed before the kill: "+m.err.Error())
		m.err = nil
	}
	c, err := dialCrash(d)
	if err != nil {
		return append(problems, "after the restart: "+err.Error())
	}
	defer c.conn.Close()
	p := m.pending
	m.pending = nil
	inFlight := ""
	if p != nil {
		inFlight = fmt.Sprintf(" (in flight at the kill: %q)", p.cmd)
	}
	// What an APPEND, COPY or MOVE in flight may have added, and where.
	var mayArrive []crashMsg
	arrivesIn := ""
	if p != nil && (p.kind == "COPY" || p.kind == "MOVE") {
		for _, uid := range p.uids {
			mayArrive = append(mayArrive, m.boxes[p.box][uid])
		}
		arrivesIn = p.dest
	}
	if p != nil && p.kind == "APPEND" {
		mayArrive = append(mayArrive, crashMsg{id: p.id, flags: sortedFlags(p.flags), why: p.cmd})
		arrivesIn = p.box
	}
	for _, box := range crashBoxes {
		got, validity, err := m.read(c, box)
		if err != nil {
			problems = append(problems, fmt.Sprintf("reading %s: %v", box, err))
			continue
		}
		if validity != m.validity[box] {
			problems = append(problems, fmt.Sprintf("%s: UIDVALIDITY %d after the restart, was %d", box, validity, m.validity[box]))
			m.validity[box] = validity
		}
		touched := p != nil && p.box == box
		for _, uid := range m.uids(box) {
			want := m.boxes[box][uid]
			g, ok := got[uid]
			if !ok {
				if touched && slices.Contains(p.uids, uid) && (p.kind == "EXPUNGE" || p.kind == "MOVE") {
					continue
				}
				problems = append(problems, fmt.Sprintf("acknowledged message lost: %s UID %d (%s) is gone; the last command on it, %q, was answered OK%s",
					box, uid, want.id, want.why, inFlight))
				continue
			}
			if g.id != want.id || !bytes.Equal(g.body, m.bodies[want.id]) {
				problems = append(problems, fmt.Sprintf("acknowledged message damaged: %s UID %d holds %s (%d bytes), want %s whole (%d bytes)",
					box, uid, g.id, len(g.body), want.id, len(m.bodies[want.id])))
				continue
			}
			if slices.Equal(g.flags, want.flags) {
				continue
			}
			if touched && p.kind == "STORE" && slices.Contains(p.uids, uid) && slices.Equal(g.flags, applyFlags(want.flags, p.flags, p.add)) {
				continue
			}
			problems = append(problems, fmt.Sprintf("acknowledged flags lost: %s UID %d (%s) has flags %v, want %v since %q was answered OK%s",
				box, uid, want.id, g.flags, want.flags, want.why, inFlight))
		}
		for uid, g := range got {
			if _, ok := m.boxes[box][uid]; ok || m.damaged[box][uid] {
				continue
			}
			if i := arrival(mayArrive, g); i >= 0 && box == arrivesIn {
				want := mayArrive[i]
				mayArrive = slices.Delete(mayArrive, i, i+1) // each at most once
				if !bytes.Equal(g.body, m.bodies[g.id]) {
					problems = append(problems, fmt.Sprintf("unacknowledged %s half done: %s UID %d (%s), from %q, has %d bytes of %d",
						p.kind, box, uid, g.id, p.cmd, len(g.body), len(m.bodies[g.id])))
				} else if !slices.Equal(g.flags, want.flags) {
					problems = append(problems, fmt.Sprintf("unacknowledged %s half done: %s UID %d (%s), from %q, has flags %v; want %v or no message",
						p.kind, box, uid, g.id, p.cmd, g.flags, want.flags))
				}
				continue
			}
			if why, ok := m.removed[box][uid]; ok {
				problems = append(problems, fmt.Sprintf("acknowledged removal undone: %s UID %d (%s) is there, though %q was answered OK%s",
					box, uid, g.id, why, inFlight))
				continue
			}
			problems = append(problems, fmt.Sprintf("message from nowhere: %s UID %d (%s, %d bytes) appeared, though no command made it%s",
				box, uid, g.id, len(g.body), inFlight))
		}
		// The model takes what is there now, but for messages not whole
		// (reported once).
		m.boxes[box] = map[uint32]crashMsg{}
		for uid, g := range got {
			if body, known := m.bodies[g.id]; known && bytes.Equal(g.body, body) {
				m.boxes[box][uid] = crashMsg{id: g.id, flags: g.flags, why: "the state found after a restart"}
			} else {
				m.damaged[box][uid] = true
			}
		}
	}
	return problems
}

// arrival returns the index in may of the message g may be, preferring
// one with g's flags, or -1.
func arrival(may []crashMsg, g found) int {
	i := slices.IndexFunc(may, func(c crashMsg) bool { return c.id == g.id && slices.Equal(c.flags, g.flags) })
	if i < 0 {
		i = slices.IndexFunc(may, func(c crashMsg) bool { return c.id == g.id })
	}
	return i
}

func (m *crashModel) countsText() string {
	var parts []string
	for _, k := range []string{"APPEND", "STORE", "EXPUNGE", "COPY", "MOVE"} {
		parts = append(parts, fmt.Sprintf("%d %s", m.counts[k], k))
	}
	return strings.Join(parts, ", ")
}

// sortedFlags returns flags sorted, without \Recent.
func sortedFlags(flags []string) []string {
	out := []string{}
	for _, f := range flags {
		if !strings.EqualFold(f, `\Recent`) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// applyFlags returns cur with flags added or removed.
func applyFlags(cur, flags []string, add bool) []string {
	var out []string
	for _, f := range cur {
		if add || !slices.Contains(flags, f) {
			out = append(out, f)
		}
	}
	if add {
		out = append(out, flags...)
	}
	return sortedFlags(out)
}

// uidSet writes UIDs as an IMAP sequence set.
func uidSet(uids []uint32) string {
	parts := make([]string, len(uids))
	for i, u := range uids {
		parts[i] = strconv.FormatUint(uint64(u), 10)
	}
	return strings.Join(parts, ",")
}

// parseUIDSet reads a COPYUID set ("3:5,9"), keeping its order.
func parseUIDSet(s string) []uint32 {
	var out []uint32
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, _ := strconv.ParseUint(lo, 10, 32)
		b := a
		if isRange {
			b, _ = strconv.ParseUint(hi, 10, 32)
		}
		if a <= b {
			for u := a; u <= b; u++ {
				out = append(out, uint32(u))
			}
		} else {
			for u := a; u >= b; u-- {
				out = append(out, uint32(u))
			}
		}
	}
	return out
}
