package message

// emptyBody stands in for the body parts of a multipart that has none
// (no boundary, or no delimiter line found): the grammar needs at least
// one (RFC 3501 section 9, body-type-mpart = 1*body SP media-subtype).
const (
	emptyBody     = `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0)`
	emptyBodyExts = `("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL)`
)

// AppendBodyStructure appends the part's FETCH BODY (extended false) or
// BODYSTRUCTURE (extended true) value to dst, as RFC 3501 section 7.4.2
// and the "body" rule of section 9 define it:
//
//   - multipart: the body parts, with no space between them, then the
//     subtype; BODYSTRUCTURE adds the parameters, disposition, language
//     and location;
//   - message/rfc822 and message/global: type, subtype, fields, then the
//     embedded message's envelope, body and line count;
//   - text/*: type, subtype, fields and the line count;
//   - anything else: type, subtype and fields;
//   - BODYSTRUCTURE of a single part adds MD5, disposition, language and
//     location.
//
// The fields are parameters, Content-ID, Content-Description,
// Content-Transfer-Encoding (7BIT when absent) and the body size. Types,
// subtypes and parameters keep the case the message gives them. A text
// part without parameters gets ("CHARSET" "US-ASCII"), the RFC 2045
// default.
func (p *Part) AppendBodyStructure(dst []byte, extended bool) []byte {
	dst = append(dst, '(')
	if p.IsMultipart() {
		if len(p.Children) == 0 {
			if extended {
				dst = append(dst, emptyBodyExts...)
			} else {
				dst = append(dst, emptyBody...)
			}
		}
		for _, c := range p.Children {
			dst = c.AppendBodyStructure(dst, extended)
		}
		dst = append(dst, ' ')
		dst = appendString(dst, p.Subtype)
		if extended {
			dst = append(dst, ' ')
			dst = appendParams(dst, p.Params)
			dst = p.appendExtensions(dst)
		}
		return append(dst, ')')
	}

	dst = appendString(dst, p.Type)
	dst = append(dst, ' ')
	dst = appendString(dst, p.Subtype)
	dst = append(dst, ' ')
	switch {
	case len(p.Params) == 0 && p.isText():
		dst = append(dst, `("CHARSET" "US-ASCII")`...)
	case p.isText():
		// Parameters without a charset: the default is said too, as
		// Dovecot does (RFC 2045 section 5.2).
		params := p.Params
		if _, ok := paramValue(params, "charset"); !ok {
			params = append(params[:len(params):len(params)], Param{Name: "CHARSET", Value: "US-ASCII"})
		}
		dst = appendParams(dst, params)
	default:
		dst = appendParams(dst, p.Params)
	}
	dst = append(dst, ' ')
	dst = appendNString(dst, p.ID)
	dst = append(dst, ' ')
	dst = appendNString(dst, p.Description)
	dst = append(dst, ' ')
	if p.Encoding == "" {
		dst = append(dst, `"7BIT"`...)
	} else {
		dst = appendString(dst, p.Encoding)
	}
	dst = append(dst, ' ')
	dst = appendNumber(dst, p.Size())
	switch {
	case p.Message != nil:
		m := p.Message
		dst = append(dst, ' ')
		dst = AppendEnvelope(dst, m.headerFields())
		dst = append(dst, ' ')
		dst = m.AppendBodyStructure(dst, extended)
		dst = append(dst, ' ')
		dst = appendNumber(dst, p.Lines())
	case p.isText():
		dst = append(dst, ' ')
		dst = appendNumber(dst, p.Lines())
	}
	if extended {
		dst = append(dst, ' ')
		dst = appendNString(dst, p.MD5)
		dst = p.appendExtensions(dst)
	}
	return append(dst, ')')
}

// appendExtensions appends the extension fields common to single parts
// and multiparts: SP body-fld-dsp SP body-fld-lang SP body-fld-loc.
func (p *Part) appendExtensions(dst []byte) []byte {
	dst = append(dst, ' ')
	if p.Disposition == "" {
		dst = append(dst, "NIL"...)
	} else {
		dst = append(dst, '(')
		dst = appendString(dst, p.Disposition)
		dst = append(dst, ' ')
		dst = appendParams(dst, p.DispositionParams)
		dst = append(dst, ')')
	}
	dst = append(dst, ' ')
	if len(p.Language) == 0 {
		dst = append(dst, "NIL"...)
	} else {
		dst = append(dst, '(')
		for i, l := range p.Language {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = appendString(dst, l)
		}
		dst = append(dst, ')')
	}
	dst = append(dst, ' ')
	return appendNString(dst, p.Location)
}

// appendParams appends a body-fld-param: NIL or a list of name/value
// string pairs.
func appendParams(dst []byte, params []Param) []byte {
	if len(params) == 0 {
		return append(dst, "NIL"...)
	}
	dst = append(dst, '(')
	for i, p := range params {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = appendString(dst, p.Name)
		dst = append(dst, ' ')
		dst = appendString(dst, p.Value)
	}
	return append(dst, ')')
}
