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
	return ParseFields(header).AppendEnvelope(dst)
}
