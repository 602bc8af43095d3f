package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
)

// wire is a bare IMAP session for timing the bulk read commands (FETCH
// 1:* and SEARCH over the whole mailbox). It only frames responses (lines
// and literals) and hands each untagged response's text to the caller,
// so that the time measured is the server's and the network's: go-imap's
// client decodes every item and hands each message to the caller through
// a channel, which at 10,000 messages costs as much as a fast server
// does and would flatten the differences. The answers are checked here
// (counts, flags, SEARCH results) and in full with go-imap's client in
// the untimed check of the first phase.
type wire struct {
	nc      net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	tag     int
	timeout time.Duration
	buf     []byte // the response being assembled
	// streamBodies makes read digest a FETCH response's BODY[] literal
	// as it arrives instead of adding it to buf; hasBody and body then
	// say what it was (its UID is in the response).
	streamBodies bool
	hasBody      bool
	body         body
	// loggedOut says that logout ran: close sends no second LOGOUT.
	loggedOut bool
}

func dialWire(ctx context.Context, addr string, timeout time.Duration) (*wire, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { nc.Close() })
	w := &wire{nc: nc, br: bufio.NewReaderSize(nc, 256<<10), bw: bufio.NewWriter(nc), timeout: timeout}
	nc.SetDeadline(time.Now().Add(timeout))
	line, err := w.br.ReadSlice('\n')
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if !bytes.HasPrefix(line, []byte("* OK")) {
		nc.Close()
		return nil, fmt.Errorf("greeting: %q", line)
	}
	return w, nil
}

// close ends the session, with a LOGOUT whose answer it does not
// check unless logout ran already, and closes the connection.
func (w *wire) close() {
	if !w.loggedOut {
		w.do("LOGOUT", nil)
	}
	w.nc.Close()
}

// logout sends LOGOUT and checks its answer: an untagged BYE, then the
// tagged OK (RFC 3501 section 6.1.3).
func (w *wire) logout() error {
	w.loggedOut = true
	bye := false
	err := w.do("LOGOUT", func(resp []byte) {
		if bytes.HasPrefix(resp, []byte("* BYE")) {
			bye = true
		}
	})
	if err != nil {
		return err
	}
	if !bye {
		return errors.New("LOGOUT: tagged OK without an untagged BYE")
	}
	return nil
}

// quote makes an IMAP quoted string.
func quote(s string) string {
	return strconv.Quote(s) // the benchmark's strings are printable ASCII
}

// do sends one command and reads until its tagged response. each gets
// every untagged response, literals included, without the final CRLF; the
// slice is reused afterwards. A NO or BAD is an error.
func (w *wire) do(command string, each func(resp []byte)) error {
	w.tag++
	tag := "w" + strconv.Itoa(w.tag)
	w.nc.SetDeadline(time.Now().Add(w.timeout))
	w.bw.WriteString(tag + " " + command + "\r\n")
	if err := w.bw.Flush(); err != nil {
		return err
	}
	for {
		resp, err := w.read()
		if err != nil {
			return fmt.Errorf("%s: %w", firstWord(command), err)
		}
		if len(resp) > len(tag) && string(resp[:len(tag)]) == tag && resp[len(tag)] == ' ' {
			status := resp[len(tag)+1:]
			if bytes.HasPrefix(status, []byte("OK")) {
				return nil
			}
			return fmt.Errorf("%s: %s", firstWord(command), status)
		}
		if each != nil && len(resp) > 0 && resp[0] == '*' {
			each(resp)
		}
	}
}

func firstWord(s string) string {
	if i := bytes.IndexByte([]byte(s), ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// read reads one response: a line, and while it ends in a literal's
// {N}, the literal and the rest of the line.
func (w *wire) read() ([]byte, error) {
	w.buf = w.buf[:0]
	w.hasBody = false
	for {
		line, err := w.br.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			w.buf = append(w.buf, line...)
			line, err = w.br.ReadSlice('\n')
		}
		if err != nil {
			return nil, err
		}
		w.buf = append(w.buf, line...)
		n, ok := literalSize(w.buf)
		if !ok {
			return bytes.TrimRight(w.buf, "\r\n"), nil
		}
		if w.streamBodies && isFetch(w.buf) && bytes.HasSuffix(w.buf[:bytes.LastIndexByte(w.buf, '{')], []byte("BODY[] ")) {
			sum, got, err := digestFrom(w.br, int64(n))
			if err != nil {
				return nil, fmt.Errorf("BODY[] literal, %d of %d bytes: %w", got, n, err)
			}
			w.hasBody, w.body = true, body{size: got, sum: sum}
			continue
		}
		if n > 64<<20 {
			return nil, fmt.Errorf("literal of %d bytes", n)
		}
		start := len(w.buf)
		w.buf = append(w.buf, make([]byte, n)...)
		if _, err := io.ReadFull(w.br, w.buf[start:]); err != nil {
			return nil, err
		}
	}
}

// literalSize tells whether a response line ends with a literal's {N}
// (or {N+}) and returns N.
func literalSize(line []byte) (int, bool) {
	l := bytes.TrimRight(line, "\r\n")
	if len(l) < 3 || l[len(l)-1] != '}' {
		return 0, false
	}
	i := bytes.LastIndexByte(l, '{')
	if i < 0 {
		return 0, false
	}
	num := bytes.TrimSuffix(l[i+1:len(l)-1], []byte("+"))
	n, err := strconv.Atoi(string(num))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// isFetch tells whether resp is "* N FETCH ...".
func isFetch(resp []byte) bool {
	if !bytes.HasPrefix(resp, []byte("* ")) {
		return false
	}
	rest := resp[2:]
	i := 0
	for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
		i++
	}
	return i > 0 && bytes.HasPrefix(rest[i:], []byte(" FETCH "))
}

// fetchSeq returns the message number of a "* N FETCH ..." response.
func fetchSeq(resp []byte) (uint32, bool) {
	if !isFetch(resp) {
		return 0, false
	}
	num, _, _ := bytes.Cut(resp[2:], []byte(" "))
	n, err := strconv.ParseUint(string(num), 10, 32)
	return uint32(n), err == nil
}

// searchNumbers appends the numbers of a "* SEARCH ..." response.
func searchNumbers(resp []byte, out []uint32) ([]uint32, bool) {
	rest, ok := bytes.CutPrefix(resp, []byte("* SEARCH"))
	if !ok {
		return out, false
	}
	for _, f := range bytes.Fields(rest) {
		n, err := strconv.ParseUint(string(f), 10, 32)
		if err != nil {
			continue
		}
		out = append(out, uint32(n))
	}
	return out, true
}

// fetchFlags runs FETCH 1:* (FLAGS) and counts the messages answered and
// those among them with \Seen.
func (w *wire) fetchFlags() (n, seen int, err error) {
	err = w.do("FETCH 1:* (FLAGS)", func(resp []byte) {
		if isFetch(resp) {
			n++
			if bytes.Contains(resp, []byte(`\Seen`)) {
				seen++
			}
		}
	})
	return n, seen, err
}

// selectInbox runs SELECT INBOX and returns its EXISTS (-1 if none came).
func (w *wire) selectInbox() (exists int, err error) {
	exists = -1
	err = w.do("SELECT INBOX", func(resp []byte) {
		if n, ok := bytes.CutSuffix(resp, []byte(" EXISTS")); ok {
			exists, _ = strconv.Atoi(string(bytes.TrimPrefix(n, []byte("* "))))
		}
	})
	return exists, err
}

// fetchBodies runs UID FETCH set (UID BODY.PEEK[]) and hands each body's
// UID, size and digest to each. It returns the bytes of bodies received.
// The bodies are digested as they arrive, in the connection's buffer
// (see digestFrom): they are neither copied nor kept, so that the client
// reads faster than a server sends (BenchmarkCeiling).
func (w *wire) fetchBodies(set string, each func(body)) (int64, error) {
	var total int64
	w.streamBodies = true
	defer func() { w.streamBodies = false }()
	err := w.do("UID FETCH "+set+" (UID BODY.PEEK[])", func(resp []byte) {
		if !w.hasBody || !isFetch(resp) {
			return
		}
		uid, ok := fetchUID(resp)
		if !ok {
			return
		}
		b := w.body
		b.uid = imap.UID(uid)
		total += b.size
		each(b)
	})
	return total, err
}

// fetchUID finds the UID item in a FETCH response.
func fetchUID(resp []byte) (uint32, bool) {
	k := bytes.Index(resp, []byte("UID "))
	if k < 0 {
		return 0, false
	}
	digits := resp[k+4:]
	m := 0
	for m < len(digits) && '0' <= digits[m] && digits[m] <= '9' {
		m++
	}
	uid, err := strconv.ParseUint(string(digits[:m]), 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(uid), true
}
