package message

// envelopeFields are the header fields ENVELOPE reads, in its order.
var envelopeFields = [...]string{
	"date", "subject", "from", "sender", "reply-to",
	"to", "cc", "bcc", "in-reply-to", "message-id",
}

const (
	envDate = iota
	envSubject
	envFrom
	envSender
	envReplyTo
	envTo
	envCc
	envBcc
	envInReplyTo
	envMessageID
)

// AppendEnvelope appends the ENVELOPE of a message whose header is header
// (RFC 3501 section 7.4.2): date, subject, from, sender, reply-to, to,
// cc, bcc, in-reply-to and message-id.
//
// The first field of each name counts. Values are unfolded and trimmed
// but otherwise raw: encoded words are not decoded. Date, subject,
// in-reply-to and message-id are NIL when the field is absent. Address
// lists are parsed by ParseAddressList and are NIL when they hold no
// address; sender and reply-to fall back to from when absent or empty,
// as RFC 3501 requires. Groups are sent as a start marker
// (NIL NIL "name" NIL), their members and an end marker
// (NIL NIL NIL NIL). An address without a domain has the host "" rather
// than NIL, which would mark a group.
func AppendEnvelope(dst []byte, header []byte) []byte {
	var values [len(envelopeFields)][]byte
	var seen [len(envelopeFields)]bool
	forEachField(header, func(name, value, _ []byte) bool {
		for i, f := range envelopeFields {
			if !seen[i] && equalFoldASCII(name, f) {
				values[i], seen[i] = unfold(value), true
				break
			}
		}
		return true
	})

	var lists [len(envelopeFields)][]Address
	for i := envFrom; i <= envBcc; i++ {
		if seen[i] {
			lists[i] = ParseAddressList(values[i])
		}
	}
	if len(lists[envSender]) == 0 {
		lists[envSender] = lists[envFrom]
	}
	if len(lists[envReplyTo]) == 0 {
		lists[envReplyTo] = lists[envFrom]
	}

	dst = append(dst, '(')
	for i := range envelopeFields {
		if i > 0 {
			dst = append(dst, ' ')
		}
		switch {
		case i >= envFrom && i <= envBcc:
			dst = appendAddressList(dst, lists[i])
		case !seen[i]:
			dst = append(dst, "NIL"...)
		case i == envSubject:
			// A subject that is present but empty is "", not NIL.
			dst = appendString(dst, string(values[i]))
		default:
			dst = appendNString(dst, string(values[i]))
		}
	}
	return append(dst, ')')
}
