package lmtptest

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Idler is an IMAP session with INBOX selected, in IDLE (RFC 2177): the
// reader that a delivery test watches for EXISTS.
type Idler struct {
	conn   net.Conn
	r      *bufio.Reader
	exists []uint32 // every EXISTS heard, in order, SELECT's included
	bye    string   // the server's BYE, if it said one
	// deadline bounds reads while WaitExists waits; zero: two minutes
	// per read.
	deadline time.Time
}

// IdleOn connects to the IMAP server at addr, logs in as user with
// password, selects INBOX and starts IDLE.
func IdleOn(addr, user, password string) (*Idler, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	i := &Idler{conn: c, r: bufio.NewReader(c)}
	fail := func(err error) (*Idler, error) {
		c.Close()
		return nil, err
	}
	if _, err := i.line(); err != nil {
		return fail(err)
	}
	for _, cmd := range []string{"a LOGIN " + quote(user) + " " + quote(password), "b SELECT INBOX"} {
		if _, err := i.Command(cmd); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintf(c, "c IDLE\r\n")
	for {
		l, err := i.line()
		if err != nil {
			return fail(err)
		}
		if strings.HasPrefix(l, "+ ") {
			return i, nil
		}
	}
}

// quote writes s as an IMAP quoted string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Close closes the connection.
func (i *Idler) Close() error { return i.conn.Close() }

// Exists returns every EXISTS heard so far, in order.
func (i *Idler) Exists() []uint32 { return i.exists }

// line reads one line, noting an EXISTS. The deadline only keeps a
// broken test from hanging.
func (i *Idler) line() (string, error) {
	d := i.deadline
	if d.IsZero() {
		d = time.Now().Add(2 * time.Minute)
	}
	i.conn.SetReadDeadline(d)
	l, err := i.r.ReadString('\n')
	if err != nil {
		if i.bye != "" {
			return "", fmt.Errorf("imap: %w (after %q; the server said %q)", err, l, i.bye)
		}
		return "", fmt.Errorf("imap: %w (after %q; no BYE)", err, l)
	}
	l = strings.TrimRight(l, "\r\n")
	if f := strings.Fields(l); len(f) == 3 && f[0] == "*" && f[2] == "EXISTS" {
		n, _ := strconv.ParseUint(f[1], 10, 32)
		i.exists = append(i.exists, uint32(n))
	}
	if strings.HasPrefix(l, "* BYE") {
		i.bye = l
	}
	return l, nil
}

// Command sends a tagged command (out of IDLE) and returns its untagged
// responses; a tagged reply other than OK is an error.
func (i *Idler) Command(cmd string) ([]string, error) {
	tag := strings.Fields(cmd)[0]
	fmt.Fprintf(i.conn, "%s\r\n", cmd)
	var untagged []string
	for {
		l, err := i.line()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				return nil, fmt.Errorf("imap: %s: %s", cmd, l)
			}
			return untagged, nil
		}
		untagged = append(untagged, l)
	}
}

// WaitExists reads until an EXISTS of at least n, for at most timeout
// (0: two minutes, which only keeps a broken test from hanging).
func (i *Idler) WaitExists(n uint32, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	i.deadline = time.Now().Add(timeout)
	defer func() { i.deadline = time.Time{} }()
	for len(i.exists) == 0 || i.exists[len(i.exists)-1] < n {
		if _, err := i.line(); err != nil {
			return fmt.Errorf("no EXISTS %d within %v: %w (EXISTS heard: %v)", n, timeout, err, i.exists[max(0, len(i.exists)-5):])
		}
	}
	return nil
}

// Done ends IDLE.
func (i *Idler) Done() error {
	fmt.Fprintf(i.conn, "DONE\r\n")
	for {
		l, err := i.line()
		if err != nil {
			return err
		}
		if strings.HasPrefix(l, "c ") {
			return nil
		}
	}
}

// UIDs returns the mailbox's UIDs in sequence order (UID SEARCH ALL),
// after Done.
func (i *Idler) UIDs() ([]uint32, error) {
	lines, err := i.Command("d UID SEARCH ALL")
	if err != nil {
		return nil, err
	}
	var uids []uint32
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "* SEARCH"); ok {
			for _, f := range strings.Fields(rest) {
				n, _ := strconv.ParseUint(f, 10, 32)
				uids = append(uids, uint32(n))
			}
		}
	}
	return uids, nil
}

// CheckExists reports an error unless the EXISTS a session heard only
// grow (a burst of deliveries may reach it as one EXISTS) and end at
// want.
func CheckExists(exists []uint32, want uint32) error {
	for k := 1; k < len(exists); k++ {
		if exists[k] <= exists[k-1] {
			return fmt.Errorf("EXISTS went from %d to %d", exists[k-1], exists[k])
		}
	}
	if len(exists) == 0 || exists[len(exists)-1] != want {
		return fmt.Errorf("last EXISTS of %v is not %d", exists[max(0, len(exists)-5):], want)
	}
	return nil
}

// CheckBurst ends IDLE after a burst of want deliveries and reports an
// error unless the session heard EXISTS grow to want (CheckExists) and
// UID SEARCH ALL then gives want UIDs, strictly increasing.
func (i *Idler) CheckBurst(want uint32) error {
	if err := CheckExists(i.exists, want); err != nil {
		return err
	}
	if err := i.Done(); err != nil {
		return err
	}
	uids, err := i.UIDs()
	if err != nil {
		return err
	}
	if len(uids) != int(want) || !StrictlyIncreasing(uids) {
		return fmt.Errorf("UID SEARCH gives %d UIDs (want %d), strictly increasing: %v", len(uids), want, StrictlyIncreasing(uids))
	}
	return nil
}

// StrictlyIncreasing reports whether uids ascend without repeats.
func StrictlyIncreasing(uids []uint32) bool {
	for k := 1; k < len(uids); k++ {
		if uids[k] <= uids[k-1] {
			return false
		}
	}
	return true
}
