package imap

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/imap/internal/wire"
	"github.com/mailgate/mailgate/storage"
)

// cmdAppend: RFC 3501 section 6.3.11, with APPENDUID (RFC 4315),
// LITERAL+ (RFC 7888), CATENATE (RFC 4469, catenate.go) and MULTIAPPEND (RFC 3502 section 6.3.11: several
// messages, each with its own flags and date, stored all together or
// not at all). Each literal is streamed into the mailbox's staging area,
// never held whole in memory; the batch is committed once the command
// line ends.
func (s *session) cmdAppend(tag string, _ bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	name, err := s.mailboxName()
	if err != nil {
		return err
	}
	var batch *storage.AppendBatch
	defer func() {
		if batch != nil {
			batch.Abort()
		}
	}()
	for {
		if err := s.d.SP(); err != nil {
			return err
		}
		flags, date, err := s.appendArgs()
		if err != nil {
			return err
		}
		if batch == nil {
			// Refuse before the client sends the data.
			if err := s.account.CheckAppend(name); errors.Is(err, storage.ErrNoMailbox) {
				return no("TRYCREATE", "Mailbox does not exist")
			} else if err != nil {
				return storageErr(err, "APPEND")
			}
			if batch, err = s.account.BeginAppend(name); err != nil {
				return storageErr(err, "APPEND")
			}
		}
		if s.atCatenate() {
			err = s.appendCatenate(batch, flags, date)
		} else {
			err = s.appendOne(batch, flags, date)
		}
		if err != nil {
			return err
		}
		if s.d.AtEOL() {
			break
		}
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	// Joined with other sessions' APPENDs to the mailbox that commit at
	// the same moment: one sync for all of them.
	validity, uids, err := batch.CommitShared()
	batch = nil
	if err != nil {
		return storageErr(err, "APPEND")
	}
	return ok("APPENDUID "+itoa(validity)+" "+uidSetText(uids), "APPEND completed")
}

// appendArgs reads the optional flag list and date-time before a
// message literal, each followed by a space.
func (s *session) appendArgs() (flags []string, date time.Time, err error) {
	if b, _ := s.d.Peek(); b == '(' {
		if flags, err = s.flagList(false); err != nil {
			return nil, date, err
		}
		if err := s.d.SP(); err != nil {
			return nil, date, err
		}
	}
	if b, _ := s.d.Peek(); b == '"' {
		text, err := s.d.String()
		if err != nil {
			return nil, date, err
		}
		if date, err = parseDateTime(text); err != nil {
			return nil, date, bad("Bad date-time %q", sanitize(text))
		}
		if err := s.d.SP(); err != nil {
			return nil, date, err
		}
	}
	return flags, date, nil
}

// appendOne reads one message literal (or literal8) of an APPEND into
// the batch.
func (s *session) appendOne(batch *storage.AppendBatch, flags []string, date time.Time) error {
	utf8Data, err := s.appendUTF8()
	if err != nil {
		return err
	}
	lit, size, binary, err := s.messageLiteral(batch, 0)
	if err != nil {
		return err
	}
	if binary && !utf8Data { // UTF8 (RFC 6855) data is text in a literal8
		return s.appendBinary(batch, lit, size, flags, date)
	}
	counted := &countingReader{r: lit}
	// A literal cut short fails the reader with io.ErrUnexpectedEOF, so
	// the storage keeps nothing of it, and the session ends below.
	addErr := batch.Add(counted, flags, date)
	// Whatever happened, read the rest of the literal to stay in step.
	if _, err := io.Copy(io.Discard, lit); err != nil {
		return err
	}
	if utf8Data {
		if err := s.d.Expect(')', ")"); err != nil {
			return err // cmdAppend aborts the batch
		}
	}
	if counted.err != nil && counted.err != io.EOF {
		return counted.err
	}
	if addErr != nil {
		return storageErr(addErr, "APPEND")
	}
	if counted.n != size {
		return no("SERVERBUG", "APPEND stored %d of %d bytes", counted.n, size)
	}
	return nil
}

// messageLiteral reads the header of a message's literal (or literal8),
// or of a CATENATE piece that makes the batch's next message prior
// octets longer, and refuses it before the client sends the data when
// the message would be over APPENDLIMIT or the quota, with those before
// it in a MULTIAPPEND (RFC 9208 section 4.1.1); the storage checks the
// whole batch again once it is in. binary tells a literal8.
func (s *session) messageLiteral(batch *storage.AppendBatch, prior int64) (lit io.Reader, size int64, binary bool, err error) {
	lit, size, binary, err = s.d.MessageLiteralChecked(func(size int64) error {
		return s.appendFits(batch, prior+size)
	})
	switch {
	case err == nil, isStatus(err):
	case errors.Is(err, wire.ErrLiteralTooLarge):
		err = s.tooBig()
	case errors.Is(err, wire.ErrOverrun):
		// Far too large to read and throw away: answer and close (RFC
		// 7888 section 4).
		err = &closing{reply: no("TOOBIG", "Message far larger than APPENDLIMIT %d", s.opts.MaxLiteral), err: err}
	}
	return lit, size, binary, err
}

// appendFits checks that the batch's next message, total octets long,
// is within APPENDLIMIT and the quota. Any trouble but those is the
// storage's to report when the message is added.
func (s *session) appendFits(batch *storage.AppendBatch, total int64) error {
	if total > s.opts.MaxLiteral {
		return s.tooBig()
	}
	err := s.account.CheckQuota(batch.Mailbox(), batch.Size()+total, int64(batch.Len())+1)
	if errors.Is(err, storage.ErrOverQuota) {
		return storageErr(err, "APPEND")
	}
	return nil
}

// tooBig is the answer to a message over APPENDLIMIT.
func (s *session) tooBig() error {
	return no("TOOBIG", "Message larger than APPENDLIMIT %d", s.opts.MaxLiteral)
}

// appendUTF8 reads the start of the UTF8 form of APPEND's data (RFC 6855
// section 4: "UTF8" SP "(" literal8 ")"), for a message whose header may
// hold UTF-8, when it is there; the caller reads the literal and the
// closing parenthesis.
func (s *session) appendUTF8() (bool, error) {
	if b, _ := s.d.Peek(); b != 'U' && b != 'u' {
		return false, nil
	}
	a, err := s.d.Atom()
	if err != nil {
		return false, err
	}
	if !strings.EqualFold(a, "UTF8") {
		return false, bad("Unknown APPEND data item %s", sanitize(a))
	}
	if err := s.d.SP(); err != nil {
		return false, err
	}
	return true, s.d.Expect('(', "(")
}

// maxBinaryAppend bounds a literal8 APPEND (RFC 3516 section 4.2),
// which is read whole into memory to encode its binary parts.
const maxBinaryAppend = 32 << 20

// appendBinary reads a literal8 message and adds it to the batch with
// every part that a text message cannot carry (Content-Transfer-Encoding
// binary, or a NUL) encoded in base64 (message.EncodeBinaryParts): the
// storage keeps messages as text, normalising line ends, which would
// change binary octets; encoded, BINARY returns them exactly as they
// were sent, and BODY sends no NUL.
func (s *session) appendBinary(batch *storage.AppendBatch, lit io.Reader, size int64, flags []string, date time.Time) error {
	if size > maxBinaryAppend {
		if _, err := io.Copy(io.Discard, lit); err != nil {
			return err
		}
		return no("TOOBIG", "A binary APPEND may hold at most %d bytes; send larger messages encoded, in an ordinary literal", maxBinaryAppend)
	}
	msg := make([]byte, size)
	if _, err := io.ReadFull(lit, msg); err != nil {
		return err
	}
	msg, _ = message.EncodeBinaryParts(msg)
	if err := batch.Add(bytes.NewReader(msg), flags, date); err != nil {
		return storageErr(err, "APPEND")
	}
	return nil
}

// uidSetText writes ascending UIDs as a uid-set (RFC 4315 section 4).
func uidSetText(uids []uint32) string {
	var b strings.Builder
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(itoa(uids[i]))
		if j > i {
			b.WriteByte(':')
			b.WriteString(itoa(uids[j]))
		}
		i = j + 1
	}
	return b.String()
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
