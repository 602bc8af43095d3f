package gateway

// Bounds on what a session process sends the root daemon. A session
// process runs as the user, who may have taken it over: the daemon reads
// no request line longer than maxSessionRequest (the session ends on
// one), keeps no more than maxHibernatePending of a client's unread bytes,
// and shows no mailbox name longer than maxControlName. A session
// process keeps its own requests within these bounds.

import (
	"bufio"
	"errors"
	"fmt"
	"unicode/utf8"
)

// maxSessionRequest bounds one request line of a session process. The
// largest is a hibernation, mostly its view's UID and flag ranges:
// measured with a 255-byte mailbox name, 20 keywords and 100 \Recent,
// 2.3 KB for messages in one range (any number), 6.0 KB for 100
// messages in 100 ranges under 5 sets of flags, 38 KB for 1,000 and
// 362 KB for 10,000 such. A session whose hibernation is longer stays
// awake (parentControl.Hibernate).
const maxSessionRequest = 64 << 10

// maxCommitPiece is the most of a client's unread bytes one commit
// request carries: 43,692 bytes in base64, well within a request line.
const maxCommitPiece = 32 << 10

// maxHibernatePending bounds the client's unread bytes the daemon keeps
// for a hibernated session: what the session process drains from the
// connection (1 MiB and one read) and what it had not read of what it
// was handed.
const maxHibernatePending = 2 << 20

// maxControlName bounds a name a session process sends: a selected
// mailbox shown by "mailgate who" is cut to it, and no user whose home
// it may ask for has a longer one.
const maxControlName = 1024

// errRequestTooLong is a session process's request line over
// maxSessionRequest.
var errRequestTooLong = fmt.Errorf("a request longer than %d bytes", maxSessionRequest)

// readRequest returns the next request line of a session process, LF
// included, or errRequestTooLong once it passes maxSessionRequest. The
// line is the caller's; r's buffer may be small.
func readRequest(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > maxSessionRequest {
			return nil, errRequestTooLong
		}
		line = append(line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

// cutName cuts name to maxControlName bytes at a character's start,
// marking the cut with "…".
func cutName(name string) string {
	if len(name) <= maxControlName {
		return name
	}
	i := maxControlName
	for i > 0 && !utf8.RuneStart(name[i]) {
		i--
	}
	return name[:i] + "…"
}
