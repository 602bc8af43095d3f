package imap

import (
	"strings"

	"github.com/mailgate/mailgate/imap/internal/message"
)

// fetchKind names a FETCH data item.
type fetchKind int

const (
	fetchUID fetchKind = iota
	fetchFlags
	fetchInternalDate
	fetchSize
	fetchEnvelope
	fetchBody          // BODY (non-extended structure)
	fetchBodyStructure // BODYSTRUCTURE
	fetchSection       // BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER, RFC822.TEXT
	fetchEmailID       // EMAILID (RFC 8474 section 5.1)
	fetchThreadID      // THREADID (RFC 8474 section 5.2)
	fetchModSeq        // MODSEQ (RFC 7162 section 3.1.4.1)
	fetchBinary        // BINARY[...], BINARY.PEEK[...] (RFC 3516)
	fetchBinarySize    // BINARY.SIZE[...]
)

// fetchItem is one parsed FETCH data item.
type fetchItem struct {
	kind    fetchKind
	name    string // the response item name, e.g. "BODY[HEADER]" or "RFC822"
	section string // the section spec between the brackets
	peek    bool   // does not set \Seen
	partial bool
	offset  int64
	count   int64
	path    []int // BINARY's part numbers
}

// parseFetchItems reads the FETCH data items: a macro, one item, or a
// parenthesised list (RFC 3501 section 6.4.5).
func (s *session) parseFetchItems() ([]fetchItem, error) {
	if b, _ := s.d.Peek(); b == '(' {
		var items []fetchItem
		err := s.d.List(func() error {
			it, err := s.parseFetchItem()
			if err != nil {
				return err
			}
			items = append(items, it...)
			return nil
		})
		return items, err
	}
	return s.parseFetchItem()
}

var fetchMacros = map[string][]fetchItem{
	"ALL":  {{kind: fetchFlags}, {kind: fetchInternalDate}, {kind: fetchSize}, {kind: fetchEnvelope}},
	"FAST": {{kind: fetchFlags}, {kind: fetchInternalDate}, {kind: fetchSize}},
	"FULL": {{kind: fetchFlags}, {kind: fetchInternalDate}, {kind: fetchSize}, {kind: fetchEnvelope}, {kind: fetchBody}},
}

func (s *session) parseFetchItem() ([]fetchItem, error) {
	var sb strings.Builder
	for {
		b, err := s.d.Peek()
		if err != nil {
			return nil, err
		}
		if !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '.') {
			break
		}
		s.d.Expect(b, "")
		sb.WriteByte(b)
		if sb.Len() > 32 {
			return nil, bad("Unknown FETCH item")
		}
	}
	name := strings.ToUpper(sb.String())
	if m, ok := fetchMacros[name]; ok {
		return m, nil
	}
	switch name {
	case "UID":
		return []fetchItem{{kind: fetchUID}}, nil
	case "FLAGS":
		return []fetchItem{{kind: fetchFlags}}, nil
	case "INTERNALDATE":
		return []fetchItem{{kind: fetchInternalDate}}, nil
	case "RFC822.SIZE":
		return []fetchItem{{kind: fetchSize}}, nil
	case "ENVELOPE":
		return []fetchItem{{kind: fetchEnvelope}}, nil
	case "MODSEQ":
		return []fetchItem{{kind: fetchModSeq}}, nil
	case "BODYSTRUCTURE":
		return []fetchItem{{kind: fetchBodyStructure}}, nil
	case "EMAILID":
		return []fetchItem{{kind: fetchEmailID}}, nil
	case "THREADID":
		return []fetchItem{{kind: fetchThreadID}}, nil
	case "RFC822":
		return []fetchItem{{kind: fetchSection, name: "RFC822"}}, nil
	case "RFC822.HEADER":
		return []fetchItem{{kind: fetchSection, name: "RFC822.HEADER", section: "HEADER", peek: true}}, nil
	case "RFC822.TEXT":
		return []fetchItem{{kind: fetchSection, name: "RFC822.TEXT", section: "TEXT"}}, nil
	case "BODY", "BODY.PEEK":
		if b, _ := s.d.Peek(); b != '[' {
			if name == "BODY" {
				return []fetchItem{{kind: fetchBody}}, nil
			}
			return nil, bad("BODY.PEEK needs a section")
		}
		it := fetchItem{kind: fetchSection, peek: name == "BODY.PEEK"}
		if err := s.parseSection(&it); err != nil {
			return nil, err
		}
		return []fetchItem{it}, nil
	case "BINARY", "BINARY.PEEK", "BINARY.SIZE":
		// RFC 3516 section 4.1: "[" [section-part] "]", and a partial
		// range but for BINARY.SIZE.
		if b, _ := s.d.Peek(); b != '[' {
			return nil, bad("%s needs a section", name)
		}
		it := fetchItem{kind: fetchBinary, peek: name == "BINARY.PEEK"}
		if name == "BINARY.SIZE" {
			it.kind, it.peek = fetchBinarySize, true
		}
		if err := s.parseSection(&it); err != nil {
			return nil, err
		}
		spec, _ := message.ParseSectionSpec(it.section)
		if spec.Specifier != message.SpecifierNone || (it.partial && it.kind == fetchBinarySize) {
			return nil, bad("Bad %s section %s", name, sanitize(it.section))
		}
		it.path = spec.Path
		base := "BINARY"
		if it.kind == fetchBinarySize {
			base = "BINARY.SIZE"
		}
		it.name = base + "[" + it.section + "]"
		return []fetchItem{it}, nil
	}
	return nil, bad("Unknown FETCH item %s", sanitize(name))
}

// parseSection reads "[section]<partial>".
func (s *session) parseSection(it *fetchItem) error {
	s.d.Expect('[', "[")
	var sb strings.Builder
	depth := 0
	for {
		b, err := s.d.Peek()
		if err != nil {
			return err
		}
		if b == '\r' || b == '\n' {
			return bad("Unterminated section")
		}
		if b == ']' && depth == 0 {
			s.d.Expect(']', "]")
			break
		}
		if b == '"' || b == '{' {
			// A quoted or literal header field name.
			str, err := s.d.String()
			if err != nil {
				return err
			}
			sb.WriteString(str)
			continue
		}
		s.d.Expect(b, "")
		switch b {
		case '(':
			depth++
		case ')':
			depth--
		}
		sb.WriteByte(b)
		if sb.Len() > 8192 {
			return bad("Section too long")
		}
	}
	it.section = sb.String()
	if _, err := message.ParseSectionSpec(it.section); err != nil {
		return bad("Bad section %s", sanitize(it.section))
	}
	it.name = "BODY[" + strings.ToUpper(it.section) + "]"
	if s.d.Maybe('<') {
		off, err := s.d.Number64()
		if err != nil {
			return err
		}
		if err := s.d.Expect('.', "."); err != nil {
			return err
		}
		cnt, err := s.d.Number64()
		if err != nil {
			return err
		}
		if cnt == 0 {
			return bad("Partial length must not be 0")
		}
		if err := s.d.Expect('>', ">"); err != nil {
			return err
		}
		it.partial, it.offset, it.count = true, off, cnt
	}
	return nil
}
