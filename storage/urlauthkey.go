package storage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Mailbox access keys (RFC 4467 section 3, URLAUTH): a secret per
// mailbox that the IMAP frontend signs URLs with. They are kept per user
// in one file beside the mailbox identifiers, mode 0600 in a 0700
// directory: a line "KEY UIDVALIDITY NAME" per mailbox that has one,
// KEY 256 random bits in hexadecimal. A mailbox made again (a new
// UIDVALIDITY) has no key until it is asked for one, so URLs signed for
// the old one never open the new one.

// URLAuthKeySize is the size in bytes of a mailbox access key.
const URLAuthKeySize = 32

// urlAuthKeyFile is where a user's mailbox access keys are kept.
func (a *Account) urlAuthKeyFile() string {
	return filepath.Join(filepath.Dir(a.mailboxIDFile()), ".mailgate-urlauth-keys")
}

// urlAuthKey is one line of the key file.
type urlAuthKey struct {
	key         []byte
	uidValidity uint32
}

// parseURLAuthKeys reads a key file (parseMailboxLines, the key in hex);
// lines not of its form are skipped (their mailboxes get new keys, which
// invalidates their URLs: safe).
func parseURLAuthKeys(data []byte) map[string]urlAuthKey {
	keys := map[string]urlAuthKey{}
	for name, l := range parseMailboxLines(data, isURLAuthKeyHex) {
		k, _ := hex.DecodeString(l.value)
		keys[name] = urlAuthKey{key: k, uidValidity: l.uidValidity}
	}
	return keys
}

// isURLAuthKeyHex reports whether s is a key in hex.
func isURLAuthKeyHex(s string) bool {
	k, err := hex.DecodeString(s)
	return err == nil && len(k) == URLAuthKeySize
}

// formatURLAuthKeys writes what parseURLAuthKeys reads, sorted by name.
func formatURLAuthKeys(keys map[string]urlAuthKey) []byte {
	lines := make(map[string]mailboxLine, len(keys))
	for n, k := range keys {
		lines[n] = mailboxLine{value: hex.EncodeToString(k.key), uidValidity: k.uidValidity}
	}
	return formatMailboxLines(lines)
}

// updateURLAuthKeys changes the key file as updateUserFile does.
func (a *Account) updateURLAuthKeys(change func(map[string]urlAuthKey) bool) error {
	return a.updateUserFile(a.urlAuthKeyFile(), "mailbox access keys", func(data []byte) ([]byte, bool) {
		keys := parseURLAuthKeys(data)
		if !change(keys) {
			return nil, false
		}
		return formatURLAuthKeys(keys), true
	})
}

// URLAuthKey returns the access key of the mailbox name (RFC 4467
// section 3). With create, a mailbox without one is given a new random
// key; without, it returns nil and no error. The mailbox must exist.
func (a *Account) URLAuthKey(name string, create bool) ([]byte, error) {
	if IsInbox(name) {
		name = InboxName
	}
	if strings.ContainsAny(name, "\x00\r\n") {
		return nil, fmt.Errorf("mailbox access keys: %w: a line end in the name", ErrNoMailbox)
	}
	st, err := a.Status(name)
	if err != nil {
		return nil, err
	}
	if data, err := os.ReadFile(a.urlAuthKeyFile()); err == nil {
		if k, ok := parseURLAuthKeys(data)[name]; ok && k.uidValidity == st.UIDValidity {
			return k.key, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("mailbox access keys: %w", err)
	}
	if !create {
		return nil, nil
	}
	var key []byte
	err = a.updateURLAuthKeys(func(keys map[string]urlAuthKey) bool {
		if k, ok := keys[name]; ok && k.uidValidity == st.UIDValidity {
			key = k.key // made meanwhile by another session
			return false
		}
		key = make([]byte, URLAuthKeySize)
		rand.Read(key)
		keys[name] = urlAuthKey{key: key, uidValidity: st.UIDValidity}
		return true
	})
	if err != nil {
		return nil, err
	}
	return key, nil
}

// ResetURLAuthKeys forgets the access key of the mailbox name, or of
// every mailbox of the user when name is "" (RFC 4467 section 6.2,
// RESETKEY), so that every URL signed with them stops working; the next
// GENURLAUTH makes a new key.
func (a *Account) ResetURLAuthKeys(name string) error {
	if IsInbox(name) {
		name = InboxName
	}
	return a.updateURLAuthKeys(func(keys map[string]urlAuthKey) bool {
		if name == "" {
			n := len(keys)
			clear(keys)
			return n > 0
		}
		if _, ok := keys[name]; !ok {
			return false
		}
		delete(keys, name)
		return true
	})
}
