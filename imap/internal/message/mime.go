package message

import (
	"slices"
	"strconv"
	"strings"
)

// Param is one parameter of a Content-Type or Content-Disposition field,
// with its name as written. RFC 2231 continuations (name*0=..., name*1*=
// ...) are joined into one parameter, still encoded (mergeContinuations).
type Param struct {
	Name  string
	Value string
}

// continuation is a parameter named name*N, name*N* or name*: one
// segment of an RFC 2231 parameter (section 3), or the whole of an
// extended one (section 4).
type continuation struct {
	name     string
	index    int
	extended bool // the value is charset'language'percent-encoded
	value    string
}

// splitContinuation reads a parameter name as an RFC 2231 segment: name*
// (index 0, extended), name*N or name*N*. ok is false for any other name.
func splitContinuation(p Param) (c continuation, ok bool) {
	base, rest, found := strings.Cut(p.Name, "*")
	if !found || base == "" {
		return c, false
	}
	c = continuation{name: base, value: p.Value}
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		if c.index > 1<<20 {
			return c, false
		}
		c.index = c.index*10 + int(rest[digits]-'0')
		digits++
	}
	switch rest[digits:] {
	case "":
		// name*N, or name* (no index, extended).
		c.extended = digits == 0
	case "*":
		c.extended = true
	default:
		return c, false
	}
	return c, true
}

// mergeContinuations joins RFC 2231 parameter segments as Dovecot does,
// so that BODYSTRUCTURE names each parameter once: the other parameters
// keep their order, and each joined one follows them, by name (as
// written, case-sensitively) then index. The segments of a name are
// concatenated when their indexes run 0, 1, 2...; when one is extended
// the result is named name* and stays encoded, its plain segments with
// "%" escaped, and two apostrophes (no charset, no language) put in
// front when the first is plain. Segments whose indexes do not run so are left as they
// were written. Nothing is decoded: the client decodes name*.
func mergeContinuations(params []Param) []Param {
	var conts []continuation
	out := params[:0:0]
	for _, p := range params {
		if c, ok := splitContinuation(p); ok {
			conts = append(conts, c)
		} else {
			out = append(out, p)
		}
	}
	if len(conts) == 0 {
		return params
	}
	slices.SortStableFunc(conts, func(a, b continuation) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return a.index - b.index
	})
	for i := 0; i < len(conts); {
		j, inOrder, extended := i, true, false
		for ; j < len(conts) && strings.EqualFold(conts[j].name, conts[i].name); j++ {
			inOrder = inOrder && conts[j].index == j-i
			extended = extended || conts[j].extended
		}
		group := conts[i:j]
		i = j
		if !inOrder {
			for _, c := range group {
				name := c.name + "*" + strconv.Itoa(c.index)
				if c.extended {
					name += "*"
				}
				out = append(out, Param{Name: name, Value: c.value})
			}
			continue
		}
		var b strings.Builder
		if extended && !group[0].extended {
			b.WriteString("''")
		}
		for _, c := range group {
			if extended && !c.extended {
				b.WriteString(strings.ReplaceAll(c.value, "%", "%25"))
			} else {
				b.WriteString(c.value)
			}
		}
		name := group[0].name
		if extended {
			name += "*"
		}
		out = append(out, Param{Name: name, Value: b.String()})
	}
	return out
}

// mimeLexer reads the structured MIME fields of RFC 2045 and RFC 2183,
// liberally: comments anywhere, unquoted values with tspecials in them.
type mimeLexer struct {
	s []byte
	i int
}

// skipCFWS skips white space and (possibly nested) comments.
func (l *mimeLexer) skipCFWS() {
	for l.i < len(l.s) {
		switch c := l.s[l.i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.i++
		case c == '(':
			depth := 0
			for ; l.i < len(l.s); l.i++ {
				if c := l.s[l.i]; c == '\\' {
					l.i++
				} else if c == '(' {
					depth++
				} else if c == ')' {
					depth--
					if depth == 0 {
						l.i++
						break
					}
				}
			}
			// A backslash ending the value must not leave l.i past it.
			l.i = min(l.i, len(l.s))
		default:
			return
		}
	}
}

// peek returns the current byte, or 0 at the end.
func (l *mimeLexer) peek() byte {
	if l.i < len(l.s) {
		return l.s[l.i]
	}
	return 0
}

// run returns the longest run of bytes not in stop and not white space,
// parentheses or quotes.
func (l *mimeLexer) run(stop string) string {
	start := l.i
	for l.i < len(l.s) {
		c := l.s[l.i]
		if c <= ' ' || c == '(' || c == ')' || c == '"' || inSet(stop, c) {
			break
		}
		l.i++
	}
	return intern(l.s[start:l.i])
}

// inSet reports whether c is one of the bytes of set, a few characters.
func inSet(set string, c byte) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

// quoted reads a quoted string whose opening quote is at l.i and returns
// its content with backslash escapes undone; an unterminated string runs
// to the end.
func (l *mimeLexer) quoted() string {
	l.i++
	for j := l.i; j < len(l.s); j++ {
		c := l.s[j]
		if c == '\\' || c == '\r' || c == '\n' {
			break
		}
		if c == '"' {
			// The usual case: nothing to undo.
			s := intern(l.s[l.i:j])
			l.i = j + 1
			return s
		}
	}
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		l.i++
		switch c {
		case '"':
			return b.String()
		case '\\':
			if l.i < len(l.s) {
				b.WriteByte(l.s[l.i])
				l.i++
			}
		case '\r', '\n':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// params reads ";" separated attribute=value pairs up to the end,
// skipping what cannot be read.
func (l *mimeLexer) params() []Param {
	var out []Param
	for {
		l.skipCFWS()
		if l.i >= len(l.s) {
			return out
		}
		if l.s[l.i] == ';' {
			l.i++
			continue
		}
		name := l.run(";=")
		l.skipCFWS()
		if name == "" || l.peek() != '=' {
			l.skipTo(';')
			continue
		}
		l.i++
		l.skipCFWS()
		var value string
		if l.peek() == '"' {
			value = l.quoted()
		} else {
			value = l.run(";")
		}
		out = append(out, Param{Name: name, Value: value})
	}
}

// skipTo advances past the next c, or to the end.
func (l *mimeLexer) skipTo(c byte) {
	for l.i < len(l.s) {
		l.i++
		if l.s[l.i-1] == c {
			return
		}
	}
}

// parseContentType reads a Content-Type value (RFC 2045 section 5.1). ok
// is false when the value has no type/subtype, in which case RFC 2045
// says to assume text/plain.
func parseContentType(v []byte) (typ, sub string, params []Param, ok bool) {
	l := mimeLexer{s: v}
	l.skipCFWS()
	typ = l.run("/;")
	l.skipCFWS()
	if typ == "" || l.peek() != '/' {
		return "", "", nil, false
	}
	l.i++
	l.skipCFWS()
	sub = l.run("/;")
	if sub == "" {
		return "", "", nil, false
	}
	l.skipCFWS()
	if l.peek() != ';' && l.i < len(l.s) {
		l.skipTo(';')
	}
	return typ, sub, mergeContinuations(l.params()), true
}

// parseDisposition reads a Content-Disposition value (RFC 2183).
func parseDisposition(v []byte) (typ string, params []Param) {
	l := mimeLexer{s: v}
	l.skipCFWS()
	typ = l.run(";")
	if typ == "" {
		return "", nil
	}
	l.skipCFWS()
	if l.peek() != ';' && l.i < len(l.s) {
		l.skipTo(';')
	}
	return typ, mergeContinuations(l.params())
}

// parseLanguage reads a Content-Language value (RFC 3282): a comma
// separated list of language tags.
func parseLanguage(v []byte) []string {
	l := mimeLexer{s: v}
	var out []string
	for {
		l.skipCFWS()
		if l.i >= len(l.s) {
			return out
		}
		if l.peek() == '"' {
			if s := l.quoted(); s != "" {
				out = append(out, s)
			}
			continue
		}
		if tag := l.run(","); tag != "" {
			out = append(out, tag)
			continue
		}
		l.i++ // a comma or a stray parenthesis
	}
}

// firstToken returns the first token of a field such as
// Content-Transfer-Encoding, without comments or white space.
func firstToken(v []byte) string {
	l := mimeLexer{s: v}
	l.skipCFWS()
	if l.peek() == '"' {
		return l.quoted()
	}
	return l.run(";")
}

// paramValue returns the value of the first parameter called name
// (case-insensitive).
func paramValue(params []Param, name string) (string, bool) {
	for _, p := range params {
		if strings.EqualFold(p.Name, name) {
			return p.Value, true
		}
	}
	return "", false
}

// intern returns b as a string, without allocating for the tokens that
// most Content-* fields are made of. Case is kept: only exact matches
// are shared.
func intern(b []byte) string {
	if s, ok := commonTokens[string(b)]; ok {
		return s
	}
	return string(b)
}

// commonTokens are the media types, parameters, values, encodings and
// dispositions that most messages have, as they usually write them.
// Read-only after initialisation.
var commonTokens = func() map[string]string {
	m := map[string]string{}
	for _, s := range strings.Fields(`
		text TEXT Text plain PLAIN html HTML calendar
		multipart MULTIPART Multipart mixed MIXED alternative ALTERNATIVE related RELATED signed report
		application APPLICATION Application octet-stream OCTET-STREAM pdf PDF zip
		image IMAGE Image jpeg JPEG png PNG gif message MESSAGE rfc822 RFC822
		charset CHARSET Charset boundary BOUNDARY name NAME filename FILENAME
		format flowed delsp yes no type method size
		utf-8 UTF-8 Utf-8 utf8 us-ascii US-ASCII iso-8859-1 ISO-8859-1 iso-8859-15 ISO-8859-15
		windows-1252 Windows-1252
		7bit 7BIT 8bit 8BIT binary base64 BASE64 Base64
		quoted-printable QUOTED-PRINTABLE Quoted-Printable
		inline INLINE Inline attachment ATTACHMENT Attachment`) {
		m[s] = s
	}
	return m
}()
