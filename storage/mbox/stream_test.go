package mbox

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

// The streaming reader gives exactly what clientView gives, also when
// lines are longer than its buffer.
func TestViewReaderMatchesClientView(t *testing.T) {
	for _, raw := range []string{
		"From: a\nX-UID: 3\nStatus: RO\nX-Keywords: $x,\n  $y\nSubject: s\n\nbody\n>From quoted\n>>From twice\n",
		"Subject: " + strings.Repeat("long ", 40) + "\nX-IMAPbase: " + strings.Repeat("1", 60) + " 2\n\n" + strings.Repeat("x", 100) + "\n>From y\n",
		"X-UID: 1\n\n",
		"no header end",
		"",
	} {
		want := string(clientView([]byte(raw)))
		for _, size := range []int{16, 64, 4096} {
			v := &viewReader{br: bufio.NewReaderSize(strings.NewReader(raw), size), inHeader: true}
			got, err := io.ReadAll(v)
			if err != nil || string(got) != want {
				t.Errorf("buffer %d: %q, %v\nwant %q", size, got, err, want)
			}
		}
	}
}
