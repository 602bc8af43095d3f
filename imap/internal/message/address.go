package message

import (
	"bytes"
	"slices"
	"strings"
)

// AddressKind says what an Address of an ENVELOPE address list is.
type AddressKind uint8

const (
	// AddressMailbox is an ordinary address.
	AddressMailbox AddressKind = iota
	// AddressGroupStart opens a group; Mailbox holds the group's name.
	AddressGroupStart
	// AddressGroupEnd closes the group opened last.
	AddressGroupEnd
)

// Address is one element of an RFC 5322 address list as ENVELOPE sends it
// (RFC 3501 section 7.4.2). Name and Mailbox are unquoted but otherwise
// raw: encoded words stay encoded.
type Address struct {
	Kind    AddressKind
	Name    string // display name; for a bare addr-spec, its comment
	Route   string // obsolete source route, "@a,@b"
	Mailbox string // local part, or the group name of a group start
	Host    string // domain, "" for an address without one
}

// ParseAddressList parses an address-list field value (From, To, ...)
// with the obsolete syntax of RFC 5322 section 4.4: display names with
// quotes and comments, route-addr, addresses without a domain, groups
// (each as a start, its members and an end), empty list elements. It
// never fails: what it cannot read degrades into bare addresses or is
// dropped, and a group left open is closed.
func ParseAddressList(value []byte) []Address {
	return parseAddressList(value, nil)
}

// parseAddressList is ParseAddressList with scratch, a slice of tokens
// to reuse (nil for none); what it holds is overwritten. The addresses
// are allocated at once, as many as the list's separators allow.
func parseAddressList(value []byte, scratch *[]addrToken) []Address {
	var toks []addrToken
	if scratch != nil {
		toks = (*scratch)[:0]
	}
	toks, seps := lexAddresses(value, toks)
	if scratch != nil {
		*scratch = toks
	}
	p := addrParser{toks: toks}
	if len(toks) > 0 {
		p.out = make([]Address, 0, seps+1)
	}
	for p.i < len(p.toks) {
		p.item(false)
	}
	return p.out
}

// addrToken is a lexical token of an address list. kind is 'a' (atom),
// 'q' (quoted string), 'd' (domain literal), 'c' (comment) or the special
// character itself: < > @ , ; : .
//
// text is a slice of the value parsed wherever the token's content is
// the value's bytes as they are (atoms, specials, most quoted strings):
// only the addresses made of the tokens (join) are copies, so a token
// costs no allocation of its own.
type addrToken struct {
	kind byte
	text []byte // content: unquoted for 'q', without parentheses for 'c'
	ws   bool   // white space or a comment comes before it
}

// lexAddresses splits an address list into tokens, appended to toks, and
// returns them with the number of separators (",", ";" and ":") among
// them. A first pass counts them so that toks grows once at most, to its
// final size.
func lexAddresses(s []byte, toks []addrToken) ([]addrToken, int) {
	n, _ := scanAddresses(s, nil)
	toks = slices.Grow(toks[:0], n)
	_, seps := scanAddresses(s, &toks)
	return toks, seps
}

// scanAddresses tokenizes s, appending the tokens to *toks unless toks is
// nil, and returns how many there are and how many of them are
// separators (",", ";" and ":").
func scanAddresses(s []byte, toks *[]addrToken) (n, seps int) {
	ws := false
	emit := func(kind byte, text []byte) {
		n++
		if kind == ',' || kind == ';' || kind == ':' {
			seps++
		}
		if toks == nil {
			return
		}
		t := addrToken{kind: kind, ws: ws}
		switch kind {
		case 'c':
			t.text = []byte(cleanSpace(string(unescape(text))))
		case 'q':
			t.text = unescape(text)
		case 'd':
			t.text = stripCRLF(text)
		default:
			t.text = text
		}
		*toks = append(*toks, t)
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c <= ' ' || c == 0x7f || c == ')' || c == ']':
			ws = true
			i++
		case c == '(':
			start, depth := i+1, 0
			for ; i < len(s); i++ {
				if s[i] == '\\' {
					i++
				} else if s[i] == '(' {
					depth++
				} else if s[i] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			end := min(i, len(s))
			emit('c', s[start:end])
			i, ws = end+1, true
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j, len(s))
			emit('q', s[i+1:end])
			i, ws = end+1, false
		case c == '[':
			end := i + 1
			for end < len(s) && s[end] != ']' {
				end++
			}
			end = min(end+1, len(s))
			emit('d', s[i:end])
			i, ws = end, false
		case addrSpecial[c]:
			emit(c, s[i:i+1])
			i, ws = i+1, false
		default:
			start := i
			for i < len(s) && atomChar[s[i]] {
				i++
			}
			emit('a', s[start:i])
			ws = false
		}
	}
	return n, seps
}

// addrSpecial are the characters that are tokens of their own.
var addrSpecial = byteSet("<>@,;:.")

// atomChar are the characters an atom token is made of: those above the
// space but DEL, the specials, parentheses, quotes and brackets.
var atomChar = func() (set [256]bool) {
	for c := '!'; c < 0x100; c++ {
		set[c] = c != 0x7f && !strings.ContainsRune("()<>@,;:.\"[]", c)
	}
	return set
}()

// byteSet returns the set of the bytes of s.
func byteSet(s string) (set [256]bool) {
	for i := range len(s) {
		set[s[i]] = true
	}
	return set
}

// unescape undoes backslash escapes and drops line breaks: b itself
// when it has none of them, a copy otherwise.
func unescape(b []byte) []byte {
	if bytes.IndexAny(b, "\\\r\n") < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) {
			i++
			c = b[i]
		}
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return out
}

// stripCRLF returns b without CR and LF: b itself when it has none, a
// copy otherwise.
func stripCRLF(b []byte) []byte {
	if bytes.IndexAny(b, "\r\n") < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return out
}

// cleanSpace trims s and collapses its runs of white space.
func cleanSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// addrParser turns tokens into addresses; every method consumes at least
// one token when one is left.
type addrParser struct {
	toks []addrToken
	i    int
	out  []Address
}

// Token kinds that make up words, local parts, domains and routes.
const (
	wordKinds   = "aqd."
	domainKinds = "aqd.@"
	routeKinds  = "aqd.@,"
)

// item parses one address or one group.
func (p *addrParser) item(inGroup bool) {
	start, comment := p.i, []byte(nil)
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		switch t.kind {
		case 'c':
			comment = t.text
		case '<':
			words := p.toks[start:p.i]
			p.i++
			p.angle(join(words, wordKinds, true), comment, inGroup)
			return
		case '@':
			words := p.toks[start:p.i]
			p.i++
			p.addrSpec(join(words, wordKinds, false), comment, inGroup)
			return
		case ':':
			if !inGroup {
				words := p.toks[start:p.i]
				p.i++
				p.group(join(words, wordKinds, true))
				return
			}
		case ',':
			p.bare(p.toks[start:p.i], comment)
			p.i++
			return
		case ';':
			p.bare(p.toks[start:p.i], comment)
			if !inGroup {
				p.i++
			}
			return
		}
		p.i++
	}
	p.bare(p.toks[start:p.i], comment)
}

// bare adds an address that has no "@": a lone local part, or garbage.
func (p *addrParser) bare(words []addrToken, comment []byte) {
	if mailbox := join(words, wordKinds, true); mailbox != "" || hasKind(words, wordKinds) {
		p.out = append(p.out, Address{Name: string(comment), Mailbox: mailbox})
	}
}

// group parses the members of a group up to its ";".
func (p *addrParser) group(name string) {
	p.out = append(p.out, Address{Kind: AddressGroupStart, Mailbox: name})
	for p.i < len(p.toks) {
		if p.toks[p.i].kind == ';' {
			p.i++
			break
		}
		p.item(true)
	}
	p.out = append(p.out, Address{Kind: AddressGroupEnd})
}

// addrSpec parses the domain of an addr-spec whose local part and "@"
// have been read, then the comment that may follow it.
func (p *addrParser) addrSpec(local string, comment []byte, inGroup bool) {
	start := p.i
	for p.i < len(p.toks) {
		t := p.toks[p.i]
		switch t.kind {
		case 'c':
			comment = t.text
		case '<':
			// "a@b <c@d>": what looked like an address was a name.
			name := local + "@" + join(p.toks[start:p.i], domainKinds, false)
			p.i++
			p.angle(name, comment, inGroup)
			return
		case ',', ';':
			domain := join(p.toks[start:p.i], domainKinds, false)
			if t.kind == ',' || !inGroup {
				p.i++
			}
			p.add(string(comment), "", local, domain)
			return
		}
		p.i++
	}
	p.add(string(comment), "", local, join(p.toks[start:], domainKinds, false))
}

// angle parses an angle-addr whose "<" has been read: an optional
// obsolete route, the addr-spec, the ">", then a separator.
func (p *addrParser) angle(name string, comment []byte, inGroup bool) {
	route := ""
	if p.i < len(p.toks) && p.toks[p.i].kind == '@' {
		j := p.i
		for j < len(p.toks) && strings.IndexByte(":>", p.toks[j].kind) < 0 {
			j++
		}
		if j < len(p.toks) && p.toks[j].kind == ':' {
			route = join(p.toks[p.i:j], routeKinds, false)
			p.i = j + 1
		}
	}
	start, at, end := p.i, -1, -1
	for ; p.i < len(p.toks) && end < 0; p.i++ {
		switch p.toks[p.i].kind {
		case '>':
			end = p.i
		case '@':
			if at < 0 {
				at = p.i
			}
		}
	}
	if end < 0 {
		end = p.i
	}
	local, domain := p.toks[start:end], p.toks[end:end]
	if at >= 0 {
		local, domain = p.toks[start:at], p.toks[at+1:end]
	}
	if name == "" {
		name = string(comment)
	}
	for p.i < len(p.toks) && p.toks[p.i].kind == 'c' {
		if name == "" {
			name = string(p.toks[p.i].text)
		}
		p.i++
	}
	if p.i < len(p.toks) {
		if k := p.toks[p.i].kind; k == ',' || (k == ';' && !inGroup) {
			p.i++
		}
	}
	p.add(name, route, join(local, wordKinds, false), join(domain, domainKinds, false))
}

// add appends an ordinary address.
func (p *addrParser) add(name, route, mailbox, host string) {
	p.out = append(p.out, Address{Name: name, Route: route, Mailbox: mailbox, Host: host})
}

// hasKind reports whether a token of one of kinds is among toks.
func hasKind(toks []addrToken, kinds string) bool {
	for _, t := range toks {
		if strings.IndexByte(kinds, t.kind) >= 0 {
			return true
		}
	}
	return false
}

// join concatenates the text of the tokens of the given kinds. spaced
// joins a display name: one space where the message had white space,
// none elsewhere ("Q." stays "Q."). Otherwise, as in a local part or a
// domain, white space is dropped.
//
// The string is allocated once, at its length.
func join(toks []addrToken, kinds string, spaced bool) string {
	n := 0
	for _, t := range toks {
		if strings.IndexByte(kinds, t.kind) >= 0 {
			n += len(t.text) + 1
		}
	}
	if n == 0 {
		return ""
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, t := range toks {
		if strings.IndexByte(kinds, t.kind) < 0 {
			continue
		}
		if spaced && t.ws && sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.Write(t.text)
	}
	return sb.String()
}

// appendAddressList appends an ENVELOPE address list: NIL when empty.
func appendAddressList(dst []byte, list []Address) []byte {
	if len(list) == 0 {
		return append(dst, "NIL"...)
	}
	dst = append(dst, '(')
	for _, a := range list {
		switch a.Kind {
		case AddressGroupStart:
			dst = append(dst, "(NIL NIL "...)
			dst = appendString(dst, a.Mailbox)
			dst = append(dst, " NIL)"...)
		case AddressGroupEnd:
			dst = append(dst, "(NIL NIL NIL NIL)"...)
		default:
			dst = append(dst, '(')
			dst = appendNString(dst, a.Name)
			dst = append(dst, ' ')
			dst = appendNString(dst, a.Route)
			dst = append(dst, ' ')
			dst = appendString(dst, a.Mailbox)
			dst = append(dst, ' ')
			// Never NIL: a NIL host marks a group (RFC 3501 section 7.4.2).
			dst = appendString(dst, a.Host)
			dst = append(dst, ')')
		}
	}
	return append(dst, ')')
}

// AddressText renders an address-list field value (From, To, ...) as
// SEARCH FROM, TO, CC and BCC match it, and as Dovecot writes it for
// them: each address as ENVELOPE parses it, with comments, quoting and
// white space inside the address gone and the name's encoded words
// decoded, as "Name <mailbox@host>" or "<mailbox@host>"; addresses are
// separated by ", ", and a group is "name: members;", or "name:;".
func AddressText(value []byte) string {
	return AddressListText(ParseAddressList(value))
}

// AddressListText is AddressText of a list ParseAddressList returned.
func AddressListText(list []Address) string {
	return string(AppendAddressListText(nil, list))
}

// AppendAddressListText appends AddressListText(list) to dst.
func AppendAddressListText(dst []byte, list []Address) []byte {
	sep := ""
	for _, a := range list {
		switch a.Kind {
		case AddressGroupStart:
			dst = append(dst, sep...)
			dst = appendDecodedString(dst, a.Mailbox)
			dst = append(dst, ':')
			sep = " "
			continue
		case AddressGroupEnd:
			dst = append(dst, ';')
			sep = ", "
			continue
		}
		dst = append(dst, sep...)
		sep = ", "
		if a.Name != "" {
			dst = appendDecodedString(dst, a.Name)
			dst = append(dst, ' ')
		}
		dst = append(dst, '<')
		dst = append(dst, a.Mailbox...)
		if a.Host != "" {
			dst = append(dst, '@')
			dst = append(dst, a.Host...)
		}
		dst = append(dst, '>')
	}
	return dst
}

// appendDecodedString appends DecodeHeader(s) to dst, without a copy of
// s when it has no encoded word.
func appendDecodedString(dst []byte, s string) []byte {
	if !strings.Contains(s, "=?") {
		return append(dst, s...)
	}
	return appendDecodedHeader(dst, []byte(s))
}
