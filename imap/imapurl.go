package imap

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mailgate/mailgate/imap/internal/message"
)

// imapURL is an IMAP URL (RFC 5092) that names one message or a part of
// one, as CATENATE (RFC 4469) and URLAUTH (RFC 4467) take them:
//
//	imapurl       = "imap://" iserver ipath-query   (absolute)
//	                / "/" imessagepart [iurlauth]    (relative to this server)
//	iserver       = [iuserinfo "@"] host [":" port]
//	iuserinfo     = enc-user [iauth] / [enc-user] iauth
//	imessagepart  = enc-mailbox [";UIDVALIDITY=" nz-number] "/;UID=" nz-number
//	                ["/;SECTION=" enc-section] ["/;PARTIAL=" number ["." nz-number]]
//	iurlauth      = [";EXPIRE=" date-time] ";URLAUTH=" access [":" mechanism ":" enc-urlauth]
//	access        = ("submit+" enc-user) / ("user+" enc-user) / "authuser" / "anonymous"
//
// Keywords match in any case; mailbox, user and section are
// percent-decoded, the mailbox being UTF-8 (RFC 5092 section 3.2).
type imapURL struct {
	absolute    bool
	user        string // the userinfo's user: whose mailbox (absolute URLs)
	host        string // host[:port] as written (absolute URLs)
	mailbox     string // UTF-8
	uidValidity uint32 // 0: not given
	uid         uint32
	section     string // as FETCH spells it; "" for the whole message
	partial     bool
	offset      int64
	count       int64 // with partial; -1: to the end

	// URLAUTH (RFC 4467 section 3).
	expire    time.Time // zero: never
	access    string    // "" without ;URLAUTH=; else as written, keyword lower-cased
	mechanism string    // "" for a rump URL
	token     string    // hexadecimal
	rump      string    // the text up to and including the access identifier
}

// maxURL bounds an IMAP URL a client sends.
const maxURL = 8192

// errURL is wrapped by every parse error.
var errURL = errors.New("bad IMAP URL")

func urlErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errURL, fmt.Sprintf(format, args...))
}

// parseIMAPURL parses an absolute IMAP URL or one relative to this
// server ("/mailbox/;UID=n..."), naming a message.
func parseIMAPURL(s string) (*imapURL, error) {
	if len(s) > maxURL {
		return nil, urlErr("longer than %d bytes", maxURL)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return nil, urlErr("byte %#x must be percent-encoded", c)
		}
	}
	u := &imapURL{count: -1}
	rest := s
	if urlPrefixFold(rest, "imap://") {
		u.absolute = true
		rest = rest[len("imap://"):]
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			return nil, urlErr("no mailbox")
		}
		if err := u.parseServer(rest[:end]); err != nil {
			return nil, err
		}
		rest = rest[end:]
	}
	if !strings.HasPrefix(rest, "/") {
		return nil, urlErr("must be imap://server/... or /mailbox/...")
	}
	rest = rest[1:]
	// enc-mailbox has no ";" (RFC 5092 bchar): the mailbox ends at the
	// first, and the "/" before ";UID=" belongs to what follows.
	semi := strings.IndexByte(rest, ';')
	if semi < 0 {
		return nil, urlErr("no ;UID=")
	}
	mbox := rest[:semi]
	slash := strings.HasSuffix(mbox, "/")
	mbox = strings.TrimSuffix(mbox, "/")
	if mbox == "" {
		return nil, urlErr("no mailbox")
	}
	var err error
	if u.mailbox, err = pctDecode(mbox); err != nil {
		return nil, err
	}
	rumpEnd := -1
	pos := len(s) - len(rest) + semi // index in s of the ";" before each piece
	pieces := strings.Split(rest[semi+1:], ";")
	const (
		haveUIDValidity = 1 << iota
		haveUID
		haveSection
		havePartial
		haveExpire
		haveURLAuth
	)
	seen := 0
	after := func(bit int) error { // pieces come in grammar order, once
		if seen >= bit {
			return urlErr("parts out of order")
		}
		seen |= bit
		return nil
	}
	for i, p := range pieces {
		nextSlash := strings.HasSuffix(p, "/")
		p = strings.TrimSuffix(p, "/")
		key, val, ok := strings.Cut(p, "=")
		if !ok || val == "" {
			return nil, urlErr("%q is not KEY=value", p)
		}
		needSlash := false
		switch strings.ToUpper(key) {
		case "UIDVALIDITY":
			if err = after(haveUIDValidity); err == nil {
				u.uidValidity, err = nzNumber(val)
			}
		case "UID":
			needSlash = true
			if err = after(haveUID); err == nil {
				u.uid, err = nzNumber(val)
			}
		case "SECTION":
			needSlash = true
			if err = after(haveSection); err == nil {
				err = u.parseSection(val)
			}
		case "PARTIAL":
			needSlash = true
			if err = after(havePartial); err == nil {
				err = u.parsePartial(val)
			}
		case "EXPIRE":
			if err = after(haveExpire); err == nil {
				u.expire, err = time.Parse(time.RFC3339, strings.ToUpper(val))
				if err != nil {
					err = urlErr("EXPIRE %q is not an RFC 3339 date-time", val)
				}
			}
		case "URLAUTH":
			if err = after(haveURLAuth); err == nil {
				rumpEnd, err = u.parseURLAuth(val, pos+1+len(key)+1)
			}
		default:
			err = urlErr("unknown part %q", key)
		}
		if err != nil {
			return nil, err
		}
		if needSlash != slash {
			return nil, urlErr("misplaced / before %s", key)
		}
		if nextSlash && i == len(pieces)-1 {
			return nil, urlErr("ends with /")
		}
		slash = nextSlash
		pos += 1 + len(pieces[i])
	}
	if seen&haveUID == 0 {
		return nil, urlErr("no ;UID=")
	}
	if seen&haveExpire != 0 && seen&haveURLAuth == 0 {
		return nil, urlErr(";EXPIRE= without ;URLAUTH=")
	}
	if rumpEnd >= 0 {
		u.rump = s[:rumpEnd]
	}
	return u, nil
}

// parseServer reads iserver: [enc-user [";AUTH=" type] "@"] host [":" port].
func (u *imapURL) parseServer(s string) error {
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		info := s[:at]
		s = s[at+1:]
		if i := strings.IndexByte(info, ';'); i >= 0 {
			if !urlPrefixFold(info[i:], ";AUTH=") || len(info) == i+len(";AUTH=") {
				return urlErr("bad ;AUTH= in the user")
			}
			info = info[:i]
		}
		user, err := pctDecode(info)
		if err != nil {
			return err
		}
		u.user = user
	}
	if s == "" {
		return urlErr("no host")
	}
	host := s
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return urlErr("unclosed [ in the host")
		}
		host = s[end+1:]
		if host != "" && host[0] != ':' {
			return urlErr("bad host %q", s)
		}
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		host = s[i:]
	} else {
		host = ""
	}
	if strings.HasPrefix(host, ":") {
		if _, err := strconv.ParseUint(host[1:], 10, 16); err != nil && host != ":" {
			return urlErr("bad port %q", host[1:])
		}
	}
	for _, c := range []byte(s) {
		if strings.IndexByte("/?#@;", c) >= 0 {
			return urlErr("bad host %q", s)
		}
	}
	u.host = s
	return nil
}

// parseSection reads enc-section, checked as a FETCH section-spec.
func (u *imapURL) parseSection(val string) error {
	sec, err := pctDecode(val)
	if err != nil {
		return err
	}
	spec, err := message.ParseSectionSpec(sec)
	if err != nil || sec == "" {
		return urlErr("SECTION %q is not a section-spec", sec)
	}
	u.section = spec.String()
	return nil
}

// parsePartial reads partial-range = number ["." nz-number].
func (u *imapURL) parsePartial(val string) error {
	off, n, hasN := strings.Cut(val, ".")
	o, err := strconv.ParseUint(off, 10, 32)
	if err != nil || !urlDigits(off) {
		return urlErr("PARTIAL %q is not number[.nz-number]", val)
	}
	u.partial, u.offset = true, int64(o)
	if hasN {
		c, err := nzNumber(n)
		if err != nil {
			return err
		}
		u.count = int64(c)
	}
	return nil
}

// parseURLAuth reads access [":" mechanism ":" enc-urlauth] (RFC 4467
// section 3), val starting at index start of the URL; it returns where
// the rump ends.
func (u *imapURL) parseURLAuth(val string, start int) (int, error) {
	access, verifier, hasVerifier := strings.Cut(val, ":")
	lower := strings.ToLower(access)
	switch {
	case lower == "authuser" || lower == "anonymous":
		u.access = lower
	case strings.HasPrefix(lower, "submit+") || strings.HasPrefix(lower, "user+"):
		kind, who, _ := strings.Cut(access, "+")
		user, err := pctDecode(who)
		if err != nil || user == "" {
			return 0, urlErr("bad access identifier %q", access)
		}
		u.access = strings.ToLower(kind) + "+" + user
	default:
		return 0, urlErr("unknown access identifier %q", access)
	}
	if hasVerifier {
		mech, token, ok := strings.Cut(verifier, ":")
		if !ok || !urlMechName(mech) || len(token) < 32 || !urlHex(token) {
			return 0, urlErr("bad URLAUTH verifier")
		}
		u.mechanism, u.token = strings.ToUpper(mech), strings.ToLower(token)
	}
	return start + len(access), nil
}

// pctDecode undoes percent-encoding (no "+" for space, as in a path).
func pctDecode(s string) (string, error) {
	d, err := url.PathUnescape(s)
	if err != nil {
		return "", urlErr("bad percent-encoding in %q", s)
	}
	if strings.ContainsAny(d, "\x00\r\n") {
		return "", urlErr("control character in %q", s)
	}
	return d, nil
}

func nzNumber(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 || !urlDigits(s) {
		return 0, urlErr("%q is not a non-zero number", s)
	}
	return uint32(n), nil
}

func urlDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func urlHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// urlMechName reports whether s is a non-empty run of letters, digits and
// "-" (a URLAUTH mechanism name).
func urlMechName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return s != ""
}

// urlPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func urlPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
