package imap

import (
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/mailgate/mailgate/imap/internal/message"
	"github.com/mailgate/mailgate/storage/fts"
)

// maxIndexedText is the most text of one message the full-text index
// learns; a message with more is kept as a candidate for every string.
const maxIndexedText = 16 << 20

// FullTextDoc reads a message as stored and returns what the full-text
// index learns of it (storage.FullText's Extract): the text SEARCH TEXT
// and BODY look in, exactly as the search reads it (message.ExtractText),
// and in the header zone everything the header keys compare with: the
// header as stored and with CRLF line ends, each field's value unfolded
// and decoded, and the addresses of FROM, TO, CC and BCC as ENVELOPE
// reads them (see headerMatches).
func FullTextDoc(r io.Reader) (*fts.Doc, error) {
	text, start, header, full, err := message.ExtractText(r, maxIndexedText)
	if err != nil {
		return nil, err
	}
	if !full {
		return &fts.Doc{TooLarge: true}, nil
	}
	d := &fts.Doc{Text: text, BodyStart: start}
	d.HeaderText = append(d.HeaderText, header, bytes.ReplaceAll(header, []byte("\n"), []byte("\r\n")))
	var extra []byte
	message.EachField(header, func(name, v []byte) bool {
		extra = append(append(extra, v...), '\n')
		if bytes.Contains(v, []byte("=?")) {
			extra = append(append(extra, message.DecodeHeader(v)...), '\n')
		}
		if isOneOf(string(name), addressFields) {
			extra = append(append(extra, message.AddressText(v)...), '\n')
		}
		return true
	})
	d.HeaderText = append(d.HeaderText, extra)
	return d, nil
}

// textFilters asks the full-text index which messages may match the
// text keys of crit that every match must meet (its own BODY, TEXT and
// header keys, not those under NOT or OR): a message that one of the
// filters rules out cannot match crit. The messages left are checked in
// full by match, so the answer is the scan's.
func (ev *searcher) textFilters(crit *imap.SearchCriteria) []*fts.Filter {
	var out []*fts.Filter
	add := func(needle string, z fts.Zone) {
		if f := ev.s.view.TextFilter(needle, z); f != nil {
			out = append(out, f)
		}
	}
	for _, b := range crit.Body {
		add(b, fts.Body)
	}
	for _, t := range crit.Text {
		add(t, fts.Text)
	}
	for _, hf := range crit.Header {
		if hf.Value == "" || strings.HasPrefix(hf.Key, objectIDKey) {
			continue
		}
		add(hf.Value, fts.Header)
	}
	return out
}

// mayMatch reports whether no filter rules uid out.
func mayMatch(filters []*fts.Filter, uid uint32) bool {
	for _, f := range filters {
		if !f.May(uid) {
			return false
		}
	}
	return true
}
