package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash"
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
// then closes the connection.
func (c *client) logout() {
	c.arm()
	c.Logout().Wait()
	c.close()
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
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	cr := &countReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	if err := digestHeader(br, h); err != nil {
		return 0, cr.n, err
	}
	if _, err := br.WriteTo(h); err != nil {
		return 0, cr.n, err
	}
	return h.Sum32(), cr.n, nil
}

func digestHeader(br *bufio.Reader, h hash.Hash32) error {
	skipping := false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				h.Write(line)
				return nil
			}
			return err
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
			return nil
		}
	}
}

// expectedDigest is digest of the corpus message as a server must send
// it, with CRLF line ends.
func expectedDigest(data []byte) uint32 {
	crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	sum, _, _ := digest(bytes.NewReader(crlf))
	return sum
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
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
