package imap

import (
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/storage"
)

// CATENATE (RFC 4469): APPEND builds a message from pieces, the client's
// own text and parts of messages already on the server named by IMAP
// URLs, without downloading and uploading them again:
//
//	append-data     =/ "CATENATE" SP "(" cat-part *(SP cat-part) ")"
//	cat-part        = text-literal / url
//	text-literal    = "TEXT" SP literal
//	url             = "URL" SP astring
//
// The pieces are written, in order, to a file in the storage's spool
// directory, and the message is added to the batch once it is whole, as
// an ordinary APPEND's literal is (appendOne). A TEXT piece sent as a
// literal8 (RFC 3516 section 4.4, RFC 4469 section 5) makes the message
// binary: it is added as a binary APPEND's is, with the parts a text
// message cannot carry encoded (appendBinary). The first piece that
// fails (a URL that names nothing this user may read, a message over
// APPENDLIMIT or the quota) ends the command with NO at once, [BADURL
// url], [TOOBIG] or [OVERQUOTA]; the rest of the line is skipped, and a
// client waiting to send a synchronising literal hears the NO instead of
// "+" (RFC 4469 section 5).

// atCatenate reports whether the next append-data is CATENATE.
func (s *session) atCatenate() bool {
	b, _ := s.d.Peek()
	return b == 'C' || b == 'c'
}

// catMessage is a CATENATE message being assembled.
type catMessage struct {
	f      *os.File
	size   int64
	binary bool // a TEXT piece was a literal8
}

// appendCatenate reads "CATENATE (" cat-part ... ")" and adds the message
// it makes to the batch.
func (s *session) appendCatenate(batch *storage.AppendBatch, flags []string, date time.Time) error {
	a, err := s.d.Atom()
	if err != nil {
		return err
	}
	if !strings.EqualFold(a, "CATENATE") {
		return bad("Unknown APPEND data item %s", sanitize(a))
	}
	if err := s.d.SP(); err != nil {
		return err
	}
	if err := s.d.Expect('(', "("); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.account.SpoolDir(), "mailgate-catenate-*")
	if err != nil {
		s.log.Warn("imap: CATENATE: spool file", "err", err)
		return no("SERVERBUG", "Cannot assemble the message now; try again later")
	}
	os.Remove(f.Name()) // open, it lives on; a crash leaves nothing behind
	defer f.Close()
	m := &catMessage{f: f}
	if err := s.catParts(m, batch); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return no("SERVERBUG", "Cannot read the assembled message back")
	}
	if m.binary {
		return s.appendBinary(batch, f, m.size, flags, date)
	}
	if err := batch.Add(f, flags, date); err != nil {
		return storageErr(err, "APPEND")
	}
	return nil
}

// catParts reads the cat-parts and their closing parenthesis into m.
func (s *session) catParts(m *catMessage, batch *storage.AppendBatch) error {
	for n := 0; ; n++ {
		if n > 0 {
			if s.d.Maybe(')') {
				return nil
			}
			if err := s.d.SP(); err != nil {
				return err
			}
		}
		kind, err := s.d.Atom()
		if err != nil {
			return err
		}
		if err := s.d.SP(); err != nil {
			return err
		}
		switch strings.ToUpper(kind) {
		case "TEXT":
			err = s.catText(m, batch)
		case "URL":
			err = s.catURL(m, batch)
		default:
			return bad("Unknown CATENATE part %s", sanitize(kind))
		}
		if err != nil {
			return err
		}
	}
}

// catText copies a text-literal into m.
func (s *session) catText(m *catMessage, batch *storage.AppendBatch) error {
	lit, n, binary, err := s.messageLiteral(batch, m.size)
	if err != nil {
		return err
	}
	m.size += n
	m.binary = m.binary || binary
	if _, err := io.CopyN(m.f, lit, n); err != nil {
		// Stay in step with the client whatever the disk did.
		if _, rerr := io.Copy(io.Discard, lit); rerr != nil {
			return rerr
		}
		s.log.Warn("imap: CATENATE: spool file", "err", err)
		return no("SERVERBUG", "Cannot assemble the message now; try again later")
	}
	return nil
}

// catURL copies the message part a URL names into m.
func (s *session) catURL(m *catMessage, batch *storage.AppendBatch) error {
	text, err := s.d.AString()
	if err != nil {
		return err
	}
	data, err := s.catURLData(text)
	if err != nil {
		s.log.Debug("imap: CATENATE URL refused", "url", text, "err", err)
		return no("BADURL "+catURLCode(text), "%s", urlRefusal(err))
	}
	if err := s.appendFits(batch, m.size+int64(len(data))); err != nil {
		return err
	}
	m.size += int64(len(data))
	if _, err := m.f.Write(data); err != nil {
		s.log.Warn("imap: CATENATE: spool file", "err", err)
		return no("SERVERBUG", "Cannot assemble the message now; try again later")
	}
	return nil
}

// catURLData resolves a CATENATE URL: one relative to this server, or an
// absolute one of this user's, or one with a valid URLAUTH (RFC 4469
// section 3.1, RFC 4467 section 7).
func (s *session) catURLData(text string) ([]byte, error) {
	u, err := parseIMAPURL(text)
	if err != nil {
		return nil, err
	}
	if u.access != "" {
		return s.urlauthData(u)
	}
	if u.absolute && u.user != "" && u.user != s.account.User().Name {
		return nil, errURLOtherUser
	}
	return urlPart(s.account, u, s.opts.MaxLiteral)
}

// catURLCode is the URL in a BADURL response code: an atom or quoted
// string with the client's text, which is ASCII without controls.
func catURLCode(text string) string {
	if len(text) > 1024 {
		text = text[:1024]
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "]", "%5D").Replace(sanitize(text)) + `"`
}

// Why a URL names nothing the session may read.
var (
	errURLOtherUser = errors.New("the URL names another user's mailbox")
	errURLNoMessage = errors.New("no such message")
	errURLNoSection = errors.New("no such part of the message")
	errURLValidity  = errors.New("UIDVALIDITY differs")
	errTooBig       = errors.New("too big")
)

// urlRefusal says why a URL was refused, without echoing what a
// client may not learn (another user's mailboxes): only the kinds
// of error above are told apart.
func urlRefusal(err error) string {
	for _, e := range []error{errURLOtherUser, errURLNoMessage, errURLNoSection, errURLValidity, errURL, errTooBig} {
		if errors.Is(err, e) {
			return "Bad URL: " + err.Error()
		}
	}
	return "Bad URL: the message cannot be read"
}

// urlPart returns the content u names in acct's mailboxes: the whole
// message, a section, and a partial range of either, as FETCH BODY[]
// would send it. At most limit bytes of a message are read.
func urlPart(acct *storage.Account, u *imapURL, limit int64) ([]byte, error) {
	name, err := urlMailboxName(u)
	if err != nil {
		return nil, err
	}
	v, err := acct.Select(name, true)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	if u.uidValidity != 0 && v.Info().UIDValidity != u.uidValidity {
		return nil, errURLValidity
	}
	rc, size, err := v.Open(u.uid)
	if errors.Is(err, storage.ErrNoMessage) {
		return nil, errURLNoMessage
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > limit {
		return nil, errTooBig
	}
	raw, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	data := raw
	if u.section != "" {
		var ok bool
		if data, ok = message.Section(raw, message.Parse(raw), u.section); !ok {
			return nil, errURLNoSection
		}
	}
	if u.partial {
		count := u.count
		if count < 0 {
			count = int64(len(data))
		}
		off, n := clip(int64(len(data)), u.offset, count)
		data = data[off : off+n]
	}
	return data, nil
}
