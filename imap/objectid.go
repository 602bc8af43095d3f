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
// derived from the message's header (threadID), so it never changes
// either, and messages that name the same first ancestor share it.

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
	epoch := v.CacheEpoch()
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
	v.SetCachedSince(epoch, storage.CachedValue{UID: uid, Key: cacheEmailID, Value: []byte(id)})
	return id, nil
}

// threadID returns the THREADID of message uid in the selected mailbox
// (RFC 8474 section 5.2): "T" and the first 96 bits of the SHA-256 of
// the Message-ID its thread starts with, as THREAD REFERENCES links it:
// the first of its References (the oldest ancestor it names; of the
// last 100 it keeps, see maxReferences), else its In-Reply-To, else its
// own Message-ID. A message without any of them is a thread of its own,
// named after its EMAILID. The keys come from SORT's cache, so THREADID
// costs a header read only the first time. Replies that name only their
// parent (In-Reply-To without References) under a reply get their
// parent's thread, not its root's: the price of an identifier that never
// changes and needs no other message.
func (s *session) threadID(uid uint32) (string, error) {
	var k sortKeys
	val, ok := s.view.Cached(uid, cacheSortKeys)
	b, isBytes := val.([]byte)
	if !ok || !isBytes || k.decodeOnly(b, needMessageID|needRefs) != nil {
		epoch := s.view.CacheEpoch()
		header, err := s.view.StoredHeader(uid, nil)
		if err != nil {
			return "", err
		}
		k = sortKeysOf(header)
		s.view.SetCachedSince(epoch, storage.CachedValue{UID: uid, Key: cacheSortKeys, Value: k.append(nil)})
	}
	root := k.messageID
	if len(k.refs) > 0 {
		root = k.refs[0]
	}
	if root == "" {
		id, err := emailID(s.view, uid)
		if err != nil {
			return "", err
		}
		root = "\x00" + id // apart from every Message-ID
	}
	sum := sha256.Sum256([]byte(root))
	return "T" + hex.EncodeToString(sum[:12]), nil
}

// objectIDKey marks the SEARCH keys EMAILID and THREADID among the header
// criteria, where they travel: no header field name holds a NUL.
const objectIDKey = "\x00"

// hasObjectID reports whether candidate c has the EMAILID (key
// "EMAILID") or THREADID id.
func (ev *searcher) hasObjectID(c *candidate, key, id string) bool {
	var got string
	var err error
	if key == "EMAILID" {
		got, err = emailID(ev.s.view, c.m.UID)
	} else {
		got, err = ev.s.threadID(c.m.UID)
	}
	return err == nil && got == id
}
