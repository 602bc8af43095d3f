package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailgate/mailgate/bench/internal/corpus"
)

// client is a go-imap client whose every command is bounded in time: arm
// sets a deadline on the connection before each command, so a server that
// stops answering fails the command instead of hanging the benchmark.
// The deadline is the harness's own (Params.OpTimeout): go-imap's client
// sets a fixed 30 s read deadline of its own while it waits for a
// response, which would report a slow answer (a 100,000-message FETCH
// on a loaded machine) as a failed one, so it sees the connection
// through harnessDeadlines, which ignores the deadlines it sets.
type client struct {
	*imapclient.Client
	nc      net.Conn
	timeout time.Duration
	// unilateral counts the untagged FETCH and EXISTS responses that
	// came outside any command (IDLE's), for the IDLE check.
	unilateral atomic.Int64
}

// harnessDeadlines is a connection whose deadlines only the harness sets:
// the client library's calls are no-ops.
type harnessDeadlines struct{ net.Conn }

func (harnessDeadlines) SetDeadline(time.Time) error      { return nil }
func (harnessDeadlines) SetReadDeadline(time.Time) error  { return nil }
func (harnessDeadlines) SetWriteDeadline(time.Time) error { return nil }

func dial(ctx context.Context, addr string, timeout time.Duration) (*client, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// Cancelling the run (Ctrl-C) ends every session at once.
	context.AfterFunc(ctx, func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(timeout))
	c := &client{nc: nc, timeout: timeout}
	c.Client = imapclient.New(harnessDeadlines{nc}, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Expunge: func(uint32) { c.unilateral.Add(1) },
			Mailbox: func(*imapclient.UnilateralDataMailbox) { c.unilateral.Add(1) },
			Fetch: func(m *imapclient.FetchMessageData) {
				m.Collect()
				c.unilateral.Add(1)
			},
		},
	})
	if err := c.WaitGreeting(); err != nil {
		c.close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	return c, nil
}

// arm gives the next command its time.
func (c *client) arm() { c.nc.SetDeadline(time.Now().Add(c.timeout)) }

// unarm lets the connection sit idle for as long as it takes.
func (c *client) unarm() { c.nc.SetDeadline(time.Time{}) }

// logout ends the session politely, so that a server which writes the
// mailbox back when a session ends (imap4d) does it before the next test,
// then closes the connection. It returns LOGOUT's failure, which the
// rows that time LOGOUT count as a wrong answer; elsewhere it is only
// the end of a test.
func (c *client) logout() error {
	c.arm()
	err := c.Logout().Wait()
	c.close()
	if err != nil {
		return fmt.Errorf("LOGOUT: %w", err)
	}
	return nil
}

func (c *client) close() {
	c.nc.Close()
	c.Client.Close()
}

func (c *client) login(user, pass string) error {
	c.arm()
	if err := c.Login(user, pass).Wait(); err != nil {
		return fmt.Errorf("LOGIN: %w", err)
	}
	return nil
}

func (c *client) selectInbox() (*imap.SelectData, error) {
	c.arm()
	d, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("SELECT: %w", err)
	}
	return d, nil
}

// fetch runs a FETCH and hands each message's data to fn.
func (c *client) fetch(set imap.NumSet, opts *imap.FetchOptions, fn func(*imapclient.FetchMessageBuffer)) (int, error) {
	c.arm()
	cmd := c.Fetch(set, opts)
	n := 0
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		buf, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return n, err
		}
		n++
		if fn != nil {
			fn(buf)
		}
	}
	return n, cmd.Close()
}

type imapFetchBuffer = imapclient.FetchMessageBuffer

// body is one message body as a FETCH BODY[] returned it.
type body struct {
	uid  imap.UID
	size int64  // bytes received
	sum  uint32 // checksum of the normalised body, see digest
}

// fetchBodies streams BODY.PEEK[] of the UIDs in set, digesting each
// body on the way (a checksum fast enough not to slow the measurement).
func (c *client) fetchBodies(set imap.UIDSet, each func(body)) (int64, error) {
	c.arm()
	cmd := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	var total int64
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var b body
		got := false
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				b.uid = it.UID
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				sum, n, err := digest(it.Literal)
				if err != nil {
					cmd.Close()
					return total, err
				}
				b.sum, b.size, got = sum, n, true
				total += n
			}
		}
		if got && each != nil {
			each(b)
		}
	}
	return total, cmd.Close()
}

// digest reads a message and checksums it without the header fields that
// imap4d adds to messages in mbox files (X-IMAPbase, X-UID, Status,
// X-Status), so that every server's answer can be compared with the
// corpus. It returns the checksum and the bytes read.
func digest(r io.Reader) (uint32, int64, error) {
	return digestFrom(bufio.NewReaderSize(r, 64<<10), -1)
}

// castagnoli is the checksum's table (CRC-32C: the CPU computes it).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// digestFrom is digest of the next n bytes of br (of all of it, to EOF,
// when n < 0). It checksums them where they lie in br's buffer, without
// copying them: the bulk body rows read a literal straight from the
// connection's buffer this way (see wire.fetchBodies).
func digestFrom(br *bufio.Reader, n int64) (uint32, int64, error) {
	h := crc32.New(castagnoli)
	l := &litReader{br: br, left: n}
	skipping := false
	for {
		line, err := l.line()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return h.Sum32(), l.read, nil
			}
			return 0, l.read, err
		}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if !skipping {
				h.Write(line)
			}
			continue
		}
		skipping = false
		if name, _, ok := bytes.Cut(line, []byte(":")); ok {
			for _, s := range corpus.MboxHeaders {
				if strings.EqualFold(string(name), s) {
					skipping = true
				}
			}
		}
		if !skipping {
			h.Write(line)
		}
		if bytes.Equal(line, []byte("\r\n")) || bytes.Equal(line, []byte("\n")) {
			break
		}
	}
	for {
		chunk, err := l.chunk()
		h.Write(chunk)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return h.Sum32(), l.read, nil
			}
			return 0, l.read, err
		}
		if len(chunk) == 0 {
			return h.Sum32(), l.read, nil
		}
	}
}

// litReader reads the next left bytes of br (all of it when left < 0) in
// place: each slice it returns lies in br's buffer and is valid until the
// next call.
type litReader struct {
	br   *bufio.Reader
	left int64 // bytes still to read; < 0: to EOF
	read int64 // bytes read
}

// chunk returns what br holds of the rest, at least one byte, or an
// empty slice at the end (io.ErrUnexpectedEOF if br ends first).
func (l *litReader) chunk() ([]byte, error) {
	if l.left == 0 {
		return nil, nil
	}
	if l.br.Buffered() == 0 {
		if _, err := l.br.Peek(1); err != nil {
			return nil, l.eof(err)
		}
	}
	return l.take(l.limit(l.br.Buffered()), -1), nil
}

// line returns the next line with its line end, or as much of a line as
// fits in br's buffer, or the rest before the end; io.EOF at the end
// (io.ErrUnexpectedEOF if br ends first).
func (l *litReader) line() ([]byte, error) {
	for want := 1; ; {
		if l.left == 0 {
			return nil, io.EOF
		}
		p, err := l.br.Peek(l.limit(max(want, l.br.Buffered())))
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			return l.take(len(p), i+1), nil
		}
		if err != nil {
			if len(p) > 0 && errors.Is(err, io.EOF) {
				return l.take(len(p), len(p)), nil
			}
			return nil, l.eof(err)
		}
		if len(p) == l.br.Size() || int64(len(p)) == l.left {
			return l.take(len(p), len(p)), nil
		}
		want = len(p) + 1
	}
}

// limit caps a read of n bytes at what is left.
func (l *litReader) limit(n int) int {
	if l.left >= 0 && int64(n) > l.left {
		return int(l.left)
	}
	return n
}

// take consumes the first k bytes of the n that br holds (k < 0: all n).
func (l *litReader) take(n, k int) []byte {
	if k < 0 {
		k = n
	}
	p, _ := l.br.Peek(k)
	l.br.Discard(k)
	l.read += int64(k)
	if l.left > 0 {
		l.left -= int64(k)
	}
	return p
}

// eof tells a literal cut short from the end of a message read to EOF.
func (l *litReader) eof(err error) error {
	if errors.Is(err, io.EOF) && l.left > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}

// expectedDigest is digest of the corpus message as a server must send
// it, with CRLF line ends.
func expectedDigest(data []byte) uint32 {
	crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	sum, _, _ := digest(bytes.NewReader(crlf))
	return sum
}

// appendMessage appends one message and waits for the answer.
func (c *client) appendMessage(mailbox string, msg []byte) error {
	c.arm()
	cmd := c.Append(mailbox, int64(len(msg)), nil)
	if _, err := cmd.Write(msg); err != nil {
		cmd.Close()
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}
