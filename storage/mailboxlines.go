package storage

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The small per-user files that hold one value for each mailbox, the
// mailbox identifiers and the URLAUTH access keys, share one form: a line
// "VALUE UIDVALIDITY NAME" per mailbox, sorted by name, NAME running to
// the end of the line. The UIDVALIDITY ties the value to one life of the
// mailbox: a mailbox made again under the same name is another one.

// mailboxLine is one line of such a file.
type mailboxLine struct {
	value       string
	uidValidity uint32
}

// parseMailboxLines reads such a file. Lines that are not of its form, or
// whose value valid refuses, are skipped, so that a damaged file loses
// only those mailboxes' values (they get new ones).
func parseMailboxLines(data []byte, valid func(string) bool) map[string]mailboxLine {
	lines := map[string]mailboxLine{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := strings.SplitN(string(line), " ", 3)
		if len(f) != 3 || !valid(f[0]) || f[2] == "" || strings.ContainsAny(f[2], "\x00\r") {
			continue
		}
		v, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil {
			continue
		}
		lines[f[2]] = mailboxLine{value: f[0], uidValidity: uint32(v)}
	}
	return lines
}

// formatMailboxLines writes what parseMailboxLines reads, sorted by name.
func formatMailboxLines(lines map[string]mailboxLine) []byte {
	names := make([]string, 0, len(lines))
	for n := range lines {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s %d %s\n", lines[n].value, lines[n].uidValidity, n)
	}
	return b.Bytes()
}
