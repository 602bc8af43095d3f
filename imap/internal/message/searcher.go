package message

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// Searcher looks for strings in the text SEARCH BODY and TEXT look in,
// as ContainsFold(SearchText(...), s) does, but reading each message
// once, front to back, in bounded memory (see ParseReader): the text is
// decoded a piece at a time, and each string is matched across the
// pieces. It stops reading once every string is found. A Searcher is
// reused from one message to the next, by one goroutine.
type Searcher struct {
	body, text []*finder // BODY strings; TEXT strings
	all        []*finder // both
	chunk      int       // bytes read at a time

	// The part whose content is coming in.
	skip      bool           // a binary attachment, left out
	enc       string         // its Content-Transfer-Encoding
	b64       base64Stream   // its transfer decoding, base64 ...
	qp        qpStream       // ... or quoted-printable
	charset   *charsetStream // its conversion to UTF-8, for text/*
	tentative bool           // kept only if valid UTF-8 (not text/*)
	utf8      utf8Check      // that validity, when tentative
	savedOK   bool           // the finders were saved before it

	lower     lowerStream // the text lower-cased, for non-ASCII strings
	saved     lowerStream // lower before a tentative part
	decoded   []byte      // scratch: transfer-decoded content
	converted []byte      // scratch: content in UTF-8, or an unfolded field
	line      []byte      // scratch: header fields as SearchText writes them

	capture *capture // ExtractText's, or nil
}

// NewSearcher returns a Searcher for the strings of SEARCH BODY keys
// (looked for in the body text) and TEXT keys (in the header and body
// text).
func NewSearcher(body, text []string) *Searcher {
	s := &Searcher{chunk: readSize}
	for _, b := range body {
		s.body = append(s.body, newFinder(b))
	}
	for _, t := range text {
		s.text = append(s.text, newFinder(t))
	}
	s.all = append(append(s.all, s.body...), s.text...)
	return s
}

// Search reads the message from r and reports which of the strings are
// in its body text and which are in its text. The error is r's, other
// than io.EOF; the results then hold what was found before it.
func (s *Searcher) Search(r io.Reader) (body, text []bool, err error) {
	for _, f := range s.all {
		f.reset()
	}
	s.lower.carry = s.lower.carry[:0]
	s.savedOK = false
	if !s.done() {
		w := newWalker(r, s.chunk, s)
		w.run()
		err = w.err
		w.close()
		s.feedText(s.all, nil, true)
	}
	body = make([]bool, len(s.body))
	for i, f := range s.body {
		body[i] = f.found
	}
	text = make([]bool, len(s.text))
	for i, f := range s.text {
		text[i] = f.found
	}
	return body, text, err
}

// done reports whether every string has been found for good.
func (s *Searcher) done() bool {
	if s.capture != nil {
		return s.capture.tooLarge
	}
	if s.savedOK {
		return false
	}
	for _, f := range s.all {
		if !f.found {
			return false
		}
	}
	return true
}

// header implements sink: each field as a "Name: value" line with its
// encoded words decoded; the message's own header is text, an embedded
// message's is body text too.
func (s *Searcher) header(fields []byte, root bool) {
	s.line, s.converted = appendHeaderText(s.line[:0], s.converted, fields)
	if c := s.capture; c != nil {
		c.add(s.line)
		if root {
			c.bodyStart = len(c.text)
			c.header = append(c.header, fields...)
		}
		return
	}
	if root {
		s.feedText(s.text, s.line, false)
	} else {
		s.feedText(s.all, s.line, false)
	}
}

// leafStart implements sink: it sets up the decoding of p's content as
// SearchText's appendBody does.
func (s *Searcher) leafStart(p *Part) {
	s.skip = skipBody(p)
	if s.skip {
		return
	}
	s.enc = p.Encoding
	s.b64 = base64Stream{}
	s.qp.reset()
	s.charset = nil
	s.tentative = !p.isText()
	if s.tentative {
		s.utf8 = utf8Check{valid: true}
		s.saveState()
		return
	}
	charset, _ := paramValue(p.Params, "charset")
	if e := charsetDecoder(charset); e != nil {
		s.charset = &charsetStream{t: e.NewDecoder()}
	}
}

// content implements sink.
func (s *Searcher) content(b []byte) {
	if s.skip {
		return
	}
	s.decodeContent(b, false)
}

// leafEnd implements sink: the rest of the decoders' output, then the
// line feed that ends each part's text; a part that is not text/* and
// not valid UTF-8 is taken back.
func (s *Searcher) leafEnd() {
	if s.skip {
		return
	}
	s.decodeContent(nil, true)
	if s.tentative {
		s.savedOK = false
		if !s.utf8.end() {
			s.restoreState()
			return
		}
	}
	s.feedText(s.all, []byte{'\n'}, false)
}

// decodeContent undoes the transfer encoding and the charset of b, a
// piece of the part's content (and with end, of the rest held back),
// and looks in the result.
func (s *Searcher) decodeContent(b []byte, end bool) {
	out := b
	switch {
	case strings.EqualFold(s.enc, "base64"):
		s.decoded = s.b64.decode(s.decoded[:0], b, end)
		out = s.decoded
	case strings.EqualFold(s.enc, "quoted-printable"):
		s.decoded = s.qp.decode(s.decoded[:0], b, end)
		out = s.decoded
	}
	if s.charset != nil {
		s.converted = s.charset.convert(s.converted[:0], out, end)
		out = s.converted
	}
	if s.tentative {
		s.utf8.check(out)
	}
	s.feedText(s.all, out, false)
}

// feedText looks for the finders' strings in b, the next piece of the
// text; with end, b is its last piece.
func (s *Searcher) feedText(finders []*finder, b []byte, end bool) {
	if s.capture != nil {
		s.capture.add(b)
		return
	}
	lowered := false
	var low []byte
	for _, f := range finders {
		if f.found {
			continue
		}
		if f.ascii {
			f.feed(b)
			continue
		}
		if !lowered {
			low = s.lower.lower(b, end)
			lowered = true
		}
		f.feed(low)
	}
}

// saveState remembers the finders before a part that may be taken back.
func (s *Searcher) saveState() {
	if c := s.capture; c != nil {
		c.saved = len(c.text)
	}
	for _, f := range s.all {
		f.save()
	}
	s.saved.carry = append(s.saved.carry[:0], s.lower.carry...)
	s.savedOK = true
}

// restoreState takes back what a part found.
func (s *Searcher) restoreState() {
	if c := s.capture; c != nil && !c.tooLarge {
		c.text = c.text[:c.saved]
	}
	for _, f := range s.all {
		f.restore()
	}
	s.lower.carry = append(s.lower.carry[:0], s.saved.carry...)
}

// finder looks for one string in a text fed to it a piece at a time, as
// ContainsFold does in the whole text: ASCII case-insensitively for an
// ASCII string, in the lower-cased text (lowerStream) otherwise.
type finder struct {
	needle []byte // as given when ASCII, else lower-cased
	ascii  bool
	found  bool
	// tail is the end of the text fed so far, len(needle)-1 bytes at
	// most, where a match across pieces begins.
	tail, join []byte

	savedFound bool
	savedTail  []byte
}

func newFinder(s string) *finder {
	if isASCII(s) {
		return &finder{needle: []byte(s), ascii: true}
	}
	return &finder{needle: bytes.ToLower([]byte(s))}
}

func (f *finder) reset() {
	f.found = len(f.needle) == 0
	f.tail = f.tail[:0]
}

func (f *finder) save() {
	f.savedFound = f.found
	f.savedTail = append(f.savedTail[:0], f.tail...)
}

func (f *finder) restore() {
	f.found = f.savedFound
	f.tail = append(f.tail[:0], f.savedTail...)
}

// contains reports whether b holds the needle.
func (f *finder) contains(b []byte) bool {
	if f.ascii {
		return ContainsFold(b, string(f.needle))
	}
	return bytes.Contains(b, f.needle)
}

// feed looks in b, the next piece of the text.
func (f *finder) feed(b []byte) {
	if f.found || len(b) == 0 {
		return
	}
	keep := len(f.needle) - 1
	if len(f.tail) > 0 {
		f.join = append(append(f.join[:0], f.tail...), b[:min(keep, len(b))]...)
		if f.contains(f.join) {
			f.found = true
			return
		}
	}
	if f.contains(b) {
		f.found = true
		return
	}
	if len(b) >= keep {
		f.tail = append(f.tail[:0], b[len(b)-keep:]...)
		return
	}
	f.tail = append(f.tail, b...)
	if len(f.tail) > keep {
		f.tail = f.tail[:copy(f.tail, f.tail[len(f.tail)-keep:])]
	}
}

// lowerStream lower-cases a text fed a piece at a time as bytes.ToLower
// does the whole text: a rune split between pieces waits in carry for
// the rest of it.
type lowerStream struct {
	carry, out []byte
}

// lower returns b, after what carry holds, lower-cased, up to a rune
// that b may end in the middle of; with end, to its end. The result is
// valid until the next call.
func (l *lowerStream) lower(b []byte, end bool) []byte {
	if len(l.carry) > 0 {
		l.carry = append(l.carry, b...)
		b = l.carry
	}
	l.out = l.out[:0]
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			l.out = append(l.out, c)
			i++
			continue
		}
		if !end && !utf8.FullRune(b[i:]) {
			break
		}
		r, n := utf8.DecodeRune(b[i:])
		l.out = utf8.AppendRune(l.out, unicode.ToLower(r))
		i += n
	}
	l.carry = append(l.carry[:0], b[i:]...)
	return l.out
}

// utf8Check tells whether a text fed a piece at a time is valid UTF-8.
type utf8Check struct {
	valid bool
	carry []byte // the start of a rune split between pieces
}

func (u *utf8Check) check(b []byte) {
	if !u.valid || len(b) == 0 {
		return
	}
	if len(u.carry) > 0 {
		k := min(utf8.UTFMax-len(u.carry), len(b))
		u.carry = append(u.carry, b[:k]...)
		if !utf8.FullRune(u.carry) {
			return
		}
		r, n := utf8.DecodeRune(u.carry)
		if r == utf8.RuneError && n == 1 {
			u.valid = false
			return
		}
		b = b[n-(len(u.carry)-k):]
		u.carry = u.carry[:0]
	}
	i := len(b)
	for j := len(b) - 1; j >= 0 && j >= len(b)-utf8.UTFMax; j-- {
		if utf8.RuneStart(b[j]) {
			if !utf8.FullRune(b[j:]) {
				i = j
			}
			break
		}
	}
	if !utf8.Valid(b[:i]) {
		u.valid = false
		return
	}
	u.carry = append(u.carry[:0], b[i:]...)
}

// end reports whether the whole text was valid UTF-8.
func (u *utf8Check) end() bool { return u.valid && len(u.carry) == 0 }

// base64Stream decodes base64 fed a piece at a time as decodeBase64
// does the whole: characters outside the alphabet are skipped, the first
// "=" ends the data, and a last lone character is dropped.
type base64Stream struct {
	quad   [4]byte
	n      int
	ended  bool
	filter []byte
}

func (d *base64Stream) decode(dst, b []byte, end bool) []byte {
	if !d.ended {
		if i := bytes.IndexByte(b, '='); i >= 0 {
			b, d.ended = b[:i], true
		}
		clean := append(d.filter[:0], d.quad[:d.n]...)
		for _, c := range b {
			if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' {
				clean = append(clean, c)
			}
		}
		d.filter = clean
		whole := len(clean) &^ 3
		dst = appendRawBase64(dst, clean[:whole])
		d.n = copy(d.quad[:], clean[whole:])
	}
	if end {
		if d.n >= 2 {
			dst = appendRawBase64(dst, d.quad[:d.n])
		}
		d.n = 0
	}
	return dst
}

// appendRawBase64 appends the decoding of b, alphabet characters only.
func appendRawBase64(dst, b []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, base64.RawStdEncoding.DecodedLen(len(b)))...)
	m, _ := base64.RawStdEncoding.Decode(dst[n:], b)
	return dst[:n+m]
}

// qpStream decodes quoted-printable fed a piece at a time as decodeQP
// does the whole: what follows an "=" waits in after until it is known
// to be an escape, a soft line break or neither. White space after an
// "=" is held for up to maxLineBytes; past that the "=" is taken as it is.
type qpStream struct {
	inEscape bool   // an "=" has been seen
	after    []byte // what followed it so far
	// after begins with ws bytes of white space, then a CR when cr; a
	// byte that fits neither came after them when other.
	ws        int
	cr, other bool
}

func (d *qpStream) reset() {
	d.inEscape = false
	d.startEscape()
}

func (d *qpStream) startEscape() {
	d.after = d.after[:0]
	d.ws, d.cr, d.other = 0, false, false
}

func (d *qpStream) decode(dst, b []byte, end bool) []byte {
	for len(b) > 0 || (end && d.inEscape) {
		if !d.inEscape {
			i := bytes.IndexByte(b, '=')
			if i < 0 {
				return append(dst, b...)
			}
			dst = append(dst, b[:i]...)
			b = b[i+1:]
			d.inEscape = true
			d.startEscape()
			continue
		}
		for len(b) > 0 && !d.decided() {
			d.take(b[0])
			b = b[1:]
		}
		if !d.decided() && !end {
			return dst
		}
		var rest []byte
		dst, rest = d.resolve(dst)
		d.inEscape = false
		if len(rest) > 0 {
			// Neither: the "=" stands, and what followed it is read
			// again as text; it holds no "=" before its last byte.
			dst = d.decodeAgain(dst, rest)
		}
	}
	return dst
}

// take adds c to what follows the "=".
func (d *qpStream) take(c byte) {
	switch {
	case d.other || d.cr:
		d.other = true
	case isWSP(c) && d.ws == len(d.after):
		d.ws++
	case c == '\r':
		d.cr = true
	default:
		d.other = true
	}
	d.after = append(d.after, c)
}

// decided reports whether after tells what the "=" is.
func (d *qpStream) decided() bool {
	a := d.after
	switch {
	case len(a) == 1 && isHex(a[0]):
		return false // maybe an escape
	case len(a) >= 2 && isHex(a[0]) && isHex(a[1]):
		return true
	}
	return d.other || len(a) >= maxLineBytes
}

// resolve acts on the "=" and what followed it, once decided (or at the
// end of the content), and returns what is to be read again as text.
func (d *qpStream) resolve(dst []byte) ([]byte, []byte) {
	a := d.after
	if len(a) >= 2 && isHex(a[0]) && isHex(a[1]) {
		return append(dst, unhex(a[0])<<4|unhex(a[1])), a[2:]
	}
	j := d.ws
	if d.cr {
		j++
	}
	switch {
	case j < len(a) && a[j] == '\n':
		return dst, a[j+1:] // a soft line break
	case j == len(a) && len(a) < maxLineBytes:
		return dst, nil // "=" and white space at the very end
	}
	return append(dst, '='), a
}

// decodeAgain reads rest, which followed an "=" that was not an escape,
// as text. Only its last byte can be an "=", which starts a new escape.
func (d *qpStream) decodeAgain(dst, rest []byte) []byte {
	if rest[len(rest)-1] == '=' {
		d.inEscape = true
		dst = append(dst, rest[:len(rest)-1]...)
		d.startEscape()
		return dst
	}
	return append(dst, rest...)
}

// charsetStream converts text fed a piece at a time to UTF-8. Should
// the converter fail, which none of x/text's does, the rest goes
// through as it is (appendCharsetDecoded would keep the whole part as
// it is).
type charsetStream struct {
	t      transform.Transformer
	carry  []byte
	failed bool
	out    [4096]byte
}

func (c *charsetStream) convert(dst, b []byte, end bool) []byte {
	if c.failed {
		return append(dst, b...)
	}
	src := b
	if len(c.carry) > 0 {
		c.carry = append(c.carry, b...)
		src = c.carry
	}
	for {
		n, m, err := c.t.Transform(c.out[:], src, end)
		dst = append(dst, c.out[:n]...)
		src = src[m:]
		switch {
		case err == transform.ErrShortDst:
			continue
		case err == transform.ErrShortSrc && !end:
			c.carry = append(c.carry[:0], src...)
			return dst
		case err != nil:
			c.failed = true
			dst = append(dst, src...)
		}
		c.carry = c.carry[:0]
		return dst
	}
}
