package imap

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/imap/internal/wire"
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
// The pieces are streamed into the mailbox's staging area in order, as
// an ordinary APPEND's literal is. The first piece that fails (a URL
// that names nothing this user may read, a message over APPENDLIMIT)
// ends the command with NO at once, [BADURL url] or [TOOBIG]; the rest
// of the line is skipped, and a client waiting to send a synchronising
// literal hears the NO instead of "+" (RFC 4469 section 5).

// atCatenate reports whether the next append-data is CATENATE.
func (s *session) atCatenate() bool {
	b, _ := s.d.Peek()
	return b == 'C' || b == 'c'
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
	pr, pw := io.Pipe()
	added := make(chan error, 1)
	go func() {
		err := batch.Add(pr, flags, date)
		// Whatever Add left unread fails the writer rather than blocking it.
		pr.CloseWithError(errCatenateStopped)
		added <- err
	}()
	size := int64(0)
	partErr := s.catParts(pw, &size, batch)
	if partErr != nil {
		pw.CloseWithError(partErr)
	} else {
		pw.Close()
	}
	addErr := <-added
	switch {
	case partErr != nil && !errors.Is(partErr, errCatenateStopped):
		return partErr
	case addErr != nil:
		return storageErr(addErr, "APPEND")
	case partErr != nil:
		return no("SERVERBUG", "APPEND stopped reading the message")
	}
	return nil
}

// errCatenateStopped tells the writing side that the storage stopped
// reading the message.
var errCatenateStopped = errors.New("catenate: the storage stopped reading")

// catParts reads the cat-parts and their closing parenthesis, writing
// each piece to w and counting the bytes in *size.
func (s *session) catParts(w io.Writer, size *int64, batch *storage.AppendBatch) error {
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
			err = s.catText(w, size, batch)
		case "URL":
			err = s.catURL(w, size, batch)
		default:
			return bad("Unknown CATENATE part %s", sanitize(kind))
		}
		if err != nil {
			return err
		}
	}
}

// catText copies a text-literal into w.
func (s *session) catText(w io.Writer, size *int64, batch *storage.AppendBatch) error {
	lit, n, _, err := s.d.MessageLiteralChecked(func(n int64) error {
		return s.catFits(*size+n, batch)
	})
	if err != nil {
		return s.catLiteralErr(err)
	}
	*size += n
	if _, err := io.CopyN(w, lit, n); err != nil {
		// Stay in step with the client whatever the storage did.
		io.Copy(io.Discard, lit)
		if isConnErr(err) || errors.Is(err, io.ErrUnexpectedEOF) {
			return err
		}
		return errCatenateStopped
	}
	return nil
}

// catURL copies the message part a URL names into w.
func (s *session) catURL(w io.Writer, size *int64, batch *storage.AppendBatch) error {
	text, err := s.d.AString()
	if err != nil {
		return err
	}
	data, err := s.catURLData(text)
	if err != nil {
		s.log.Debug("imap: CATENATE URL refused", "url", text, "err", err)
		return no("BADURL "+catURLCode(text), "%s", urlRefusal(err))
	}
	if err := s.catFits(*size+int64(len(data)), batch); err != nil {
		return s.catLiteralErr(err)
	}
	*size += int64(len(data))
	if _, err := w.Write(data); err != nil {
		return errCatenateStopped
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

// catFits checks that the message being built, total bytes so far, is
// within APPENDLIMIT and the quota.
func (s *session) catFits(total int64, batch *storage.AppendBatch) error {
	if total > s.opts.MaxLiteral {
		return no("TOOBIG", "Message larger than APPENDLIMIT %d", s.opts.MaxLiteral)
	}
	err := s.account.CheckQuota(batch.Mailbox(), batch.Size()+total, int64(batch.Len())+1)
	if errors.Is(err, storage.ErrOverQuota) {
		return storageErr(err, "APPEND")
	}
	return nil
}

// catLiteralErr turns a literal's refusal into the command's answer.
func (s *session) catLiteralErr(err error) error {
	switch {
	case isStatus(err):
		return err
	case errors.Is(err, storage.ErrOverQuota):
		return storageErr(err, "APPEND")
	case errors.Is(err, wire.ErrLiteralTooLarge):
		return no("TOOBIG", "Message larger than APPENDLIMIT %d", s.opts.MaxLiteral)
	case errors.Is(err, wire.ErrOverrun):
		return &closing{reply: no("TOOBIG", "Message far larger than APPENDLIMIT %d", s.opts.MaxLiteral), err: err}
	}
	return err
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
