// Package fts is mailgate's full-text index: for each mailbox, which
// messages may contain a string, so that SEARCH TEXT, BODY and the
// header keys need not read every message.
//
// The index is a purpose-built trigram index. For each message it keeps
// the set of three-byte sequences of its text, lower-cased as SEARCH
// compares (bytes.ToLower, Unicode simple lower case), each marked with
// the zones it occurs in: the header (the decoded header lines of SEARCH
// TEXT's text, the raw header, the addresses) or the body (SEARCH BODY's
// text). A string can be in a message's text only if every trigram of
// the lower-cased string is in the message's set, in the right zone, so
// the messages whose sets hold them all are the candidates; the caller
// then checks each candidate exactly. The index is never a source of
// truth: a message it does not know is always a candidate, and a damaged
// file is cut back to its last good record or dropped and rebuilt.
//
// Design notes:
//
//   - On disk an index is one append-only file per mailbox: a header
//     (magic, format version, UIDVALIDITY, CRC), then records (a
//     message's trigram set, a message too large to index, or a removed
//     message), each with its own CRC-32C. A writer killed in the middle
//     of a record leaves a bad tail, which readers stop at and the next
//     writer cuts off. Nothing is fsync'd: losing the tail loses only
//     work, which is done again.
//   - Several processes may share a file: writers append under flock(2),
//     and every reader catches up with what others appended (and starts
//     over when the file was replaced) before it answers.
//   - In memory an Index holds the segment's tables, a map from UID to
//     ordinal, and the log's messages inverted as the segment is: per
//     trigram the ascending ordinals of the messages that have it,
//     encoded as the segment's lists are (a byte or two a posting), so
//     that a merge copies them. Messages are inverted in batches (a
//     radix sort of their postings), the last few read one by one by a
//     search.
//   - An open costs what its caller needs. Most opens (a fresh process
//     whose indexer asks which messages are known) need only the UIDs:
//     the segment's UID tables are kept (the CRC of all its tables is
//     checked, the directory's bytes read for it and let go) and the
//     log's records are checked and their UIDs taken, their keys left in
//     the file. The first search, Add or merge reads the directory and
//     inverts the log's messages, under the index's lock; a directory
//     that fails its checks then, or a log that no longer holds the
//     records as they were read, is damage: the search does not narrow
//     and the index starts again.
//   - Index.Filter and Filter.May may be called from any goroutine; Add
//     collects a message's trigrams before it locks the index, so
//     several goroutines may add at once.
package fts

// Zone says where in a message a trigram occurs.
type Zone uint8

// The zones of a message's text.
const (
	// Header: the message's own header, as SEARCH TEXT's header lines,
	// raw, and as the header keys (FROM, SUBJECT, HEADER ...) match it.
	Header Zone = 1 << iota
	// Body: SEARCH BODY's text (what follows the header lines in SEARCH
	// TEXT's text).
	Body
	// Text is either zone: what SEARCH TEXT looks in.
	Text = Header | Body
)

// Doc is what the index learns of one message.
type Doc struct {
	// Text is the text SEARCH TEXT looks in: the header lines, then
	// from BodyStart on the text SEARCH BODY looks in.
	Text      []byte
	BodyStart int
	// HeaderText are further texts the header keys match (the raw
	// header, unfolded and decoded values, addresses); zone Header.
	HeaderText [][]byte
	// TooLarge marks a message whose text was not extracted whole: the
	// index keeps it as a candidate for every string.
	TooLarge bool
}
