package imap

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/mailgate/mailgate/imap/internal/wire"
	"github.com/mailgate/mailgate/storage"
)

// cmdAppend: RFC 3501 section 6.3.11, with APPENDUID (RFC 4315) and
// LITERAL+ (RFC 7888). The literal is streamed into the mailbox, never held
// whole in memory.
func (s *session) cmdAppend(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	name, err := s.mailboxName()
	if err != nil {
		return err
	}
	if err := s.d.SP(); err != nil {
		return err
	}
	var flags []string
	if b, _ := s.d.Peek(); b == '(' {
		if flags, err = s.flagList(false); err != nil {
			return err
		}
		if err := s.d.SP(); err != nil {
			return err
		}
	}
	var date time.Time
	if b, _ := s.d.Peek(); b == '"' {
		text, err := s.d.String()
		if err != nil {
			return err
		}
		if date, err = parseDateTime(text); err != nil {
			return bad("Bad date-time %q", sanitize(text))
		}
		if err := s.d.SP(); err != nil {
			return err
		}
	}
	// Refuse before the client sends the data.
	if err := s.account.CheckAppend(name); errors.Is(err, storage.ErrNoMailbox) {
		return no("TRYCREATE", "Mailbox does not exist")
	} else if err != nil {
		return storageErr(err, "APPEND")
	}
	lit, size, err := s.d.Literal()
	if err != nil {
		if errors.Is(err, wire.ErrLiteralTooLarge) {
			return no("TOOBIG", "Message larger than APPENDLIMIT %d", s.srv.opts.MaxLiteral)
		}
		if errors.Is(err, wire.ErrOverrun) {
			// Far too large to read and throw away: answer and close
			// (RFC 7888 section 4).
			return &closing{reply: no("TOOBIG", "Message far larger than APPENDLIMIT %d", s.srv.opts.MaxLiteral), err: err}
		}
		return err
	}
	counted := &countingReader{r: lit}
	// A literal cut short fails the reader with io.ErrUnexpectedEOF, so
	// the storage stores nothing, and the session ends below.
	validity, uid, appendErr := s.account.Append(name, counted, flags, date)
	// Whatever happened, read the rest of the literal to stay in step.
	if _, err := io.Copy(io.Discard, lit); err != nil {
		return err
	}
	if counted.err != nil && counted.err != io.EOF {
		return counted.err
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if appendErr != nil {
		return storageErr(appendErr, "APPEND")
	}
	if counted.n != size {
		return no("SERVERBUG", "APPEND stored %d of %d bytes", counted.n, size)
	}
	return ok("APPENDUID "+itoa(validity)+" "+itoa(uid), "APPEND completed")
}

// countingReader counts bytes read and remembers the connection's error.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// flagList reads "(" flag *(SP flag) ")"; with bare, also the form
// without parentheses that STORE allows (flag *(SP flag)).
func (s *session) flagList(bare bool) ([]string, error) {
	var flags []string
	one := func() error {
		f, err := s.d.FlagAtom()
		if err != nil {
			return err
		}
		if err := checkFlag(f); err != nil {
			return err
		}
		flags = append(flags, storage.CanonicalFlag(f))
		return nil
	}
	if b, _ := s.d.Peek(); b == '(' || !bare {
		return flags, s.d.List(one)
	}
	for {
		if err := one(); err != nil {
			return nil, err
		}
		if !s.d.Maybe(' ') {
			return flags, nil
		}
	}
}

// checkFlag refuses flags that clients may not set: \Recent, \* and
// unknown system flags.
func checkFlag(f string) error {
	if strings.HasPrefix(f, `\`) && !storage.IsSystemFlag(storage.CanonicalFlag(f)) {
		return bad("%s cannot be stored", sanitize(f))
	}
	return nil
}

// parseDateTime parses an RFC 3501 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz"
// with the day possibly space-padded.
func parseDateTime(s string) (time.Time, error) {
	s = strings.TrimPrefix(s, " ")
	t, err := time.Parse("2-Jan-2006 15:04:05 -0700", s)
	if err != nil {
		return time.Time{}, err
	}
	return t, nil
}

func itoa(n uint32) string {
	var buf [10]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(buf[i:])
		}
	}
}
