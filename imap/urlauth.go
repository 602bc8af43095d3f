package imap

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/mailgate/mailgate/storage"
)

// URLAUTH (RFC 4467): a user signs an IMAP URL of a message part of
// theirs (GENURLAUTH) so that someone else — any logged-in user
// ("authuser"), a named one ("user+NAME"), anyone ("anonymous") — can
// fetch that part (URLFETCH, or a CATENATE URL) without the owner's
// password. RESETKEY revokes every URL of a mailbox at once.
//
// The "INTERNAL" mechanism is HMAC-SHA256 of the URL's rump (the text up
// to and including the access identifier) with the mailbox's access key,
// 256 random bits kept per user (storage.Account.URLAuthKey); the
// verifier is its 64 hexadecimal digits, compared in constant time.
//
// Every way a URL can fail — not parseable, another mechanism, expired,
// an access identifier that does not admit this session, a key reset,
// a wrong verifier, a message that is gone — gives URLFETCH the same
// NIL, so that a client learns nothing about mail it may not read.
// "submit+NAME" URLs are for a message submission server (RFC 4468),
// which mailgate is not: GENURLAUTH makes them, URLFETCH never serves
// them.

// urlauthMechanism is the only mechanism served.
const urlauthMechanism = "INTERNAL"

// urlauthToken computes the INTERNAL verifier of rump under key.
func urlauthToken(key []byte, rump string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(rump))
	return hex.EncodeToString(m.Sum(nil))
}

// cmdGenURLAuth: RFC 4467 section 7.1,
//
//	genurlauth = "GENURLAUTH" 1*(SP url-rump SP mechanism)
//
// Each rump must be an absolute URL of this user's, with ;URLAUTH= and
// no verifier, of a mailbox that exists. One bad rump fails the command.
func (s *session) cmdGenURLAuth(tag string, _ bool) error {
	type rump struct{ url, mech string }
	var rumps []rump
	for {
		if err := s.d.SP(); err != nil {
			if len(rumps) > 0 {
				break
			}
			return err
		}
		u, err := s.d.AString()
		if err != nil {
			return err
		}
		if err := s.d.SP(); err != nil {
			return err
		}
		m, err := s.d.Atom()
		if err != nil {
			return err
		}
		rumps = append(rumps, rump{u, m})
		if s.d.AtEOL() {
			break
		}
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if s.readOnly {
		return no("NOPERM", "An anonymous session cannot sign URLs")
	}
	out := make([]string, 0, len(rumps))
	for _, r := range rumps {
		if !strings.EqualFold(r.mech, urlauthMechanism) {
			return no("", "Unknown URLAUTH mechanism %s; INTERNAL is served", sanitize(r.mech))
		}
		u, err := parseIMAPURL(r.url)
		switch {
		case err != nil:
			return no("", "%v", err)
		case !u.absolute || u.access == "" || u.mechanism != "" || u.rump != r.url:
			return no("", "GENURLAUTH needs an absolute IMAP URL ending in ;URLAUTH=access, without a verifier")
		case u.user != s.account.User().Name:
			return no("", "The URL names another user's mailbox; sign only your own")
		}
		name, err := urlMailboxName(u)
		if err != nil {
			return no("", "%v", err)
		}
		key, err := s.account.URLAuthKey(name, true)
		if errors.Is(err, storage.ErrNoMailbox) {
			return no("", "No mailbox %s", sanitize(u.mailbox))
		}
		if err != nil {
			return storageErr(err, "GENURLAUTH")
		}
		out = append(out, r.url+":"+urlauthMechanism+":"+urlauthToken(key, r.url))
	}
	s.e.Raw("* GENURLAUTH")
	for _, u := range out {
		s.e.SP().AString(u)
	}
	s.e.CRLF()
	return nil
}

// cmdResetKey: RFC 4467 section 7.2,
//
//	resetkey = "RESETKEY" [SP mailbox *(SP mechanism)]
//
// Without a mailbox, every key of the user is reset.
func (s *session) cmdResetKey(tag string, _ bool) error {
	name := ""
	if !s.d.AtEOL() {
		if err := s.d.SP(); err != nil {
			return err
		}
		var err error
		if name, err = s.mailboxName(); err != nil {
			return err
		}
		for !s.d.AtEOL() {
			if err := s.d.SP(); err != nil {
				return err
			}
			m, err := s.d.Atom()
			if err != nil {
				return err
			}
			if !strings.EqualFold(m, urlauthMechanism) {
				if err := s.d.Skip(); err != nil {
					return err
				}
				return no("", "Unknown URLAUTH mechanism %s; INTERNAL is served", sanitize(m))
			}
		}
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	if s.readOnly {
		return no("NOPERM", "This session is read-only")
	}
	if name != "" && !s.account.Exists(name) {
		return no("NONEXISTENT", "No mailbox %s", sanitize(s.nameToClient(name)))
	}
	if err := s.account.ResetURLAuthKeys(name); err != nil {
		return storageErr(err, "RESETKEY")
	}
	return nil
}

// cmdURLFetch: RFC 4467 section 7.3,
//
//	urlfetch = "URLFETCH" 1*(SP url-full)
//
// Each URL is answered "* URLFETCH url data", data NIL when the URL
// does not give this session the part.
func (s *session) cmdURLFetch(tag string, _ bool) error {
	var urls []string
	for {
		if err := s.d.SP(); err != nil {
			if len(urls) > 0 {
				break
			}
			return err
		}
		u, err := s.d.AString()
		if err != nil {
			return err
		}
		urls = append(urls, u)
		if s.d.AtEOL() {
			break
		}
	}
	if err := s.d.CRLF(); err != nil {
		return err
	}
	for _, text := range urls {
		data, err := s.urlauthFetch(text)
		if err != nil {
			s.log.Debug("imap: URLFETCH refused", "url", text, "err", err)
		}
		s.e.Raw("* URLFETCH ").AString(text).SP()
		if err != nil {
			s.e.Raw("NIL").CRLF()
			continue
		}
		s.e.Literal(bytes.NewReader(data), int64(len(data)))
		s.e.CRLF()
	}
	return nil
}

// urlauthFetch returns what a URLAUTH URL text gives this session.
func (s *session) urlauthFetch(text string) ([]byte, error) {
	u, err := parseIMAPURL(text)
	if err != nil {
		return nil, err
	}
	return s.urlauthData(u)
}

// Why a URLAUTH URL gives nothing; all are NIL to the client.
var (
	errURLAuthNone    = errors.New("not a signed URL")
	errURLAuthMech    = errors.New("unknown mechanism")
	errURLAuthExpired = errors.New("expired")
	errURLAuthAccess  = errors.New("the access identifier does not admit this session")
	errURLAuthOwner   = errors.New("the owner's mailboxes cannot be reached from here")
	errURLAuthKey     = errors.New("no key, or not this verifier")
)

// urlauthData checks a URLAUTH URL (RFC 4467 section 3) and returns the
// part it names: absolute, INTERNAL, not expired, its access identifier
// admitting this session, its verifier the one the owner's current key
// gives; only then is the message read.
func (s *session) urlauthData(u *imapURL) ([]byte, error) {
	switch {
	case !u.absolute || u.access == "" || u.token == "" || u.user == "":
		return nil, errURLAuthNone
	case u.mechanism != urlauthMechanism:
		return nil, errURLAuthMech
	case !u.expire.IsZero() && !time.Now().Before(u.expire):
		return nil, errURLAuthExpired
	}
	me := s.account.User().Name
	switch {
	case u.access == "anonymous":
	case u.access == "authuser":
		if s.readOnly {
			return nil, errURLAuthAccess // an anonymous login is not an authenticated user
		}
	case strings.HasPrefix(u.access, "user+"):
		if s.readOnly || u.access[len("user+"):] != me {
			return nil, errURLAuthAccess
		}
	default: // submit+: for a submission server only
		return nil, errURLAuthAccess
	}
	owner := s.account
	if u.user != me {
		if s.opts.URLAuthAccount == nil {
			return nil, errURLAuthOwner
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		if owner, err = s.opts.URLAuthAccount(ctx, u.user); err != nil || owner == nil {
			return nil, errors.Join(errURLAuthOwner, err)
		}
	}
	name, err := urlMailboxName(u)
	if err != nil {
		return nil, err
	}
	key, err := owner.URLAuthKey(name, false)
	if err != nil || key == nil {
		return nil, errors.Join(errURLAuthKey, err)
	}
	want, _ := hex.DecodeString(urlauthToken(key, u.rump))
	got, err := hex.DecodeString(u.token)
	if err != nil || !hmac.Equal(want, got) {
		return nil, errURLAuthKey
	}
	return urlPart(owner, u, s.opts.MaxLiteral)
}

// urlMailboxName is the storage name of a URL's mailbox.
func urlMailboxName(u *imapURL) (string, error) {
	if storage.IsInbox(u.mailbox) {
		return storage.InboxName, nil
	}
	name, err := utf8Name(u.mailbox)
	if err != nil {
		return "", urlErr("%v", err)
	}
	return name, nil
}
