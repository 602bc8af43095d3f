package imap

import (
	"crypto/sha256"
	"encoding/hex"
	"io"

	"github.com/mailgate/mailgate/storage"
)

// OBJECTID (RFC 8474): MAILBOXID comes from the storage core, which
// keeps it across RENAME; EMAILID is derived from the message's content,
// so that it is the same in every mailbox a message is copied or moved
// to, and never changes (a message's content is immutable); THREADID is
// NIL, as section 5.2 allows a server that does not thread.

// cacheEmailID is the cache key of a message's EMAILID.
const cacheEmailID = "imap.emailid"

// mailboxID returns the MAILBOXID of the mailbox name, or "" when it
// cannot be had (the home is not writable): the reply then goes without
// it rather than failing.
func (s *session) mailboxID(name string, uidValidity uint32) string {
	id, err := s.account.MailboxID(name, uidValidity)
	if err != nil {
		s.log.Warn("imap: no MAILBOXID", "mailbox", name, "err", err)
		return ""
	}
	return id
}

// emailID returns the EMAILID of message uid in the selected mailbox
// (RFC 8474 section 5.1): "E" and the first 96 bits of the SHA-256 of
// its content with CRLF line endings, hashed as it streams and cached.
func emailID(v *storage.View, uid uint32) (string, error) {
	if val, ok := v.Cached(uid, cacheEmailID); ok {
		if b, ok := val.([]byte); ok {
			return string(b), nil
		}
	}
	rc, _, err := v.Open(uid)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	id := "E" + hex.EncodeToString(h.Sum(nil)[:12])
	v.SetCached(uid, cacheEmailID, []byte(id))
	return id, nil
}

// objectIDKey marks the SEARCH keys EMAILID and THREADID among the header
// criteria, where they travel: no header field name holds a NUL.
const objectIDKey = "\x00"

// hasObjectID reports whether candidate c has the EMAILID (key
// "EMAILID") or THREADID id. No message has a THREADID, which is NIL.
func (ev *searcher) hasObjectID(c *candidate, key, id string) bool {
	if key != "EMAILID" {
		return false
	}
	got, err := emailID(ev.s.view, c.m.UID)
	return err == nil && got == id
}
