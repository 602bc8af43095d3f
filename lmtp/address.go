package lmtp

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// address is one RCPT TO forward-path, split for delivery.
type address struct {
	path   string // as go-smtp passed it: the key of its StatusCollector
	local  string // the local part, detail included, unquoted
	domain string // "" for <Postmaster> (RFC 5321 4.1.1.3)
}

// errBadAddress means a forward-path this package will not deliver to.
var errBadAddress = errors.New("bad recipient address")

// parseAddress splits a forward-path as go-smtp returns it (quotes and
// angle brackets removed, source route dropped) into local part and
// domain. go-smtp unquotes a quoted local part, which may itself hold '@'
// ("a@b"@example.org arrives as a@b@example.org), so the split is at the
// last '@'; a domain is never quoted.
func parseAddress(path string) (address, error) {
	a := address{path: path, local: path}
	if i := strings.LastIndexByte(path, '@'); i >= 0 {
		a.local, a.domain = path[:i], path[i+1:]
		if a.domain == "" {
			return a, errBadAddress
		}
	}
	if a.local == "" || hasControl(a.local) || hasControl(a.domain) {
		return a, errBadAddress
	}
	return a, nil
}

// hasControl reports whether s holds an ASCII control character, which
// no address may carry into a header field.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// duplicateKey is what makes two RCPTs the same recipient: the local part
// exactly (RFC 5321 2.4: it may be case-sensitive) and the domain in any
// case, as Dovecot compares them.
func (a address) duplicateKey() string {
	return a.local + "@" + strings.ToLower(a.domain)
}

// splitDetail splits a local part at the first of the delimiter
// characters in delims ("alice+lists" with "+" is "alice" and "lists"),
// as Postfix's and Dovecot's recipient_delimiter do. ok is false when
// delims is empty, no delimiter occurs, or nothing precedes it.
func splitDetail(local, delims string) (user, detail string, ok bool) {
	if delims == "" {
		return local, "", false
	}
	i := strings.IndexAny(local, delims)
	if i <= 0 {
		return local, "", false
	}
	_, size := utf8.DecodeRuneInString(local[i:]) // a delimiter outside ASCII is cut whole
	return local[:i], local[i+size:], true
}
