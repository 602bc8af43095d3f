package harness

import "regexp"

// peerDefect is a wrong answer of a reference server that is known and
// reproducible without the harness. It is reported (in the table and the
// JSON) but does not fail the run, or the smoke test would fail for a bug
// that mailgate cannot fix. mailgate has no entries: its wrong answers
// always fail.
type peerDefect struct {
	re  *regexp.Regexp
	why string
}

var peerDefects = map[string][]peerDefect{
	"imap4d": {{
		re: regexp.MustCompile(`^STATUS BenchAppend after (\d+) APPENDs: (\d+) MESSAGES$`),
		why: "GNU imap4d 3.15 loses messages when several sessions APPEND to one mbox at once: " +
			"each APPEND is answered OK, fewer messages are stored (also with Python's imaplib: " +
			"10 sessions x 5 APPENDs, 50 OK, 49 stored)",
	}, {
		// With several clients, or from the one client while the sessions
		// of the test before still hold the lock.
		re: regexp.MustCompile(`^(APPEND by \d+ clients|append: APPEND): imap: NO APPEND \[TRYCREATE\] failed$`),
		why: "GNU imap4d 3.15 answers an APPEND to an existing mbox with NO [TRYCREATE] " +
			"when it cannot get the mailbox's lock in time (concurrent APPENDs, or one client's " +
			"while another session still holds the lock)",
	}, {
		re: regexp.MustCompile(`^IDLE: \d+ of \d+ sessions did not see another session's STORE within `),
		why: "GNU imap4d 3.15's IDLE does not report a flag that another session changed, even " +
			"after that session logged out and imap4d wrote the change to the mbox (seen with " +
			"8 sessions in IDLE and 10 s of waiting)",
	}, {
		re: regexp.MustCompile(`^COPY: SEARCH (FLAGGED|UNSEEN) in BenchCopy: `),
		why: "GNU imap4d 3.15's COPY drops the flags: every copy arrives without \\Seen, \\Flagged " +
			"or \\Answered (RFC 3501 section 6.4.7 says the copy keeps them)",
	}, {
		re: regexp.MustCompile(`Conflict with previous locker`),
		why: "GNU imap4d 3.15 locks the whole mbox (dotlock) to open or write it back; with many " +
			"concurrent sessions a SELECT or STORE gives up after its retries (10, 1 s apart) and answers NO",
	}},
}

// knownDefect returns why msg is a known defect of server, or "".
func knownDefect(server, msg string) string {
	for _, d := range peerDefects[server] {
		if d.re.MatchString(msg) {
			return d.why
		}
	}
	return ""
}
