package message

import "io"

// capture collects the text a Searcher would look in (ExtractText).
type capture struct {
	text      []byte
	bodyStart int
	header    []byte
	saved     int // len(text) before a part that may be taken back
	limit     int
	tooLarge  bool
}

func (c *capture) add(b []byte) {
	if c.tooLarge {
		return
	}
	if len(c.text)+len(b) > c.limit {
		c.tooLarge = true
		return
	}
	c.text = append(c.text, b...)
}

// ExtractText reads a message from r, as stored, and returns the text
// SEARCH TEXT looks in, exactly as a Searcher reads it (the header lines
// of the message, decoded, then its body text), where SEARCH BODY's text
// begins in it, and the message's own header fields as stored. A
// full-text index learns a message from it. With more than limit bytes
// of text, it stops reading and reports full as false. The error is r's,
// other than io.EOF.
func ExtractText(r io.Reader, limit int) (text []byte, bodyStart int, header []byte, full bool, err error) {
	s := &Searcher{chunk: readSize, capture: &capture{limit: limit}}
	w := newWalker(r, s.chunk, s)
	w.run()
	err = w.err
	w.close()
	c := s.capture
	return c.text, c.bodyStart, c.header, !c.tooLarge, err
}
