package message

// Fields are the header fields that ENVELOPE, SORT's keys and the search
// fields a frontend caches are derived from, gathered in one pass over a
// header: the first FETCH ENVELOPE of a mailbox derived all three, and
// walking the header once for each field it looked up (fifteen walks, and
// each address field parsed three times) cost more than the envelope
// itself.
//
// Values are unfolded and trimmed as HeaderValues returns them, in
// message order; address lists are parsed when first asked for, once.
// The values are slices of the header (or copies, where unfolded): the
// header must not change while the Fields are used.
//
// A Fields may be used again for another header (Reset), which saves
// its allocation and that of the address parser's tokens.
type Fields struct {
	vals   []fieldValue
	buf    [16]fieldValue
	lists  [numFields][]Address
	listed [numFields]bool
	toks   []addrToken // the address parser's, reused
}

// fieldValue is one field's value and which of the known fields it is.
type fieldValue struct {
	field int
	value []byte
}

// The fields Fields gathers: the envelope's, in ENVELOPE's order
// (envDate ... envMessageID), then these.
const (
	fieldReferences = len(envelopeFields) + iota
	numFields
)

// fieldNames are the names of the fields Fields gathers, by index.
var fieldNames = func() [numFields]string {
	var names [numFields]string
	copy(names[:], envelopeFields[:])
	names[fieldReferences] = "references"
	return names
}()

// ParseFields gathers the fields of header that Fields knows. header may
// have LF or CRLF line ends, and may include the empty line ending it.
func ParseFields(header []byte) *Fields {
	f := new(Fields)
	f.Reset(header)
	return f
}

// Reset makes f the Fields of header, as ParseFields does: what f held
// before (values, address lists) must no longer be used.
func (f *Fields) Reset(header []byte) {
	toks := f.toks
	*f = Fields{toks: toks}
	f.vals = f.buf[:0]
	forEachField(header, func(name, value, _ []byte) bool {
		if i := fieldIndex(name); i >= 0 {
			f.vals = append(f.vals, fieldValue{i, unfold(value)})
		}
		return true
	})
}

// fieldIndex returns the index of the known field called name, in any
// case, or -1.
func fieldIndex(name []byte) int {
	if len(name) >= len(fieldsByLength) {
		return -1
	}
	for _, i := range fieldsByLength[len(name)] {
		if equalFoldASCII(name, fieldNames[i]) {
			return i
		}
	}
	return -1
}

// fieldsByLength lists the indexes of the known fields by the length of
// their names: most fields of a header are none of them, and are told
// apart by their length alone.
var fieldsByLength = func() [len("in-reply-to") + 1][]int {
	var by [len("in-reply-to") + 1][]int
	for i, n := range fieldNames {
		by[len(n)] = append(by[len(n)], i)
	}
	return by
}()

// index returns the index of the known field called name, in any case;
// it panics for a field that Fields does not gather.
func (f *Fields) index(name string) int {
	if i := fieldIndex([]byte(name)); i >= 0 {
		return i
	}
	panic("message: Fields does not gather " + name)
}

// Values returns the values of every field called name, in message
// order, as HeaderValues does; name must be one of the fields gathered:
// Date, Subject, From, Sender, Reply-To, To, Cc, Bcc, In-Reply-To,
// Message-ID, References.
func (f *Fields) Values(name string) [][]byte {
	return f.AppendValues(nil, name)
}

// AppendValues appends the values of every field called name to dst, as
// Values returns them, and returns the extended slice.
func (f *Fields) AppendValues(dst [][]byte, name string) [][]byte {
	i := f.index(name)
	for _, v := range f.vals {
		if v.field == i {
			dst = append(dst, v.value)
		}
	}
	return dst
}

// First returns the value of the first field called name (nil when it is
// empty), and whether there is one; name is as for Values.
func (f *Fields) First(name string) ([]byte, bool) {
	return f.first(f.index(name))
}

// first is First by index.
func (f *Fields) first(i int) ([]byte, bool) {
	for _, v := range f.vals {
		if v.field == i {
			return v.value, true
		}
	}
	return nil, false
}

// Addresses returns ParseAddressList of the first field called name, nil
// when there is none; the list is parsed once, and must not be changed.
// name is as for Values.
func (f *Fields) Addresses(name string) []Address {
	return f.addresses(f.index(name))
}

// addresses is Addresses by index.
func (f *Fields) addresses(i int) []Address {
	if !f.listed[i] {
		if v, ok := f.first(i); ok {
			f.lists[i] = parseAddressList(v, &f.toks)
		}
		f.listed[i] = true
	}
	return f.lists[i]
}

// AppendEnvelope appends the ENVELOPE of the message whose fields f are:
// the same bytes as AppendEnvelope of its header.
func (f *Fields) AppendEnvelope(dst []byte) []byte {
	dst = append(dst, '(')
	for i := range envelopeFields {
		if i > 0 {
			dst = append(dst, ' ')
		}
		switch {
		case i == envSender || i == envReplyTo:
			list := f.addresses(i)
			if len(list) == 0 {
				list = f.addresses(envFrom)
			}
			dst = appendAddressList(dst, list)
		case i >= envFrom && i <= envBcc:
			dst = appendAddressList(dst, f.addresses(i))
		default:
			v, ok := f.first(i)
			switch {
			case !ok:
				dst = append(dst, "NIL"...)
			case i == envSubject:
				// A subject that is present but empty is "", not NIL.
				dst = appendString(dst, v)
			default:
				dst = appendNString(dst, v)
			}
		}
	}
	return append(dst, ')')
}
