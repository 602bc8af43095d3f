package imap

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// stuckReader returns nothing and no error, for ever.
type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

// TestSkipBytes: skipBytes drops what it is asked, stops quietly at the
// end of a short message, and ends with an error rather than spinning
// on a reader that gives nothing.
func TestSkipBytes(t *testing.T) {
	broken := errors.New("broken")
	for _, tc := range []struct {
		name    string
		r       io.Reader
		n       int64
		wantErr error
		rest    string
	}{
		{"part", strings.NewReader("0123456789"), 4, nil, "456789"},
		{"all", strings.NewReader("0123456789"), 10, nil, ""},
		{"past the end", strings.NewReader("0123456789"), 1 << 20, nil, ""},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader("0123456789")), 7, nil, "789"},
		{"large", strings.NewReader(strings.Repeat("x", 200000) + "tail"), 200000, nil, "tail"},
		{"error", iotest.ErrReader(broken), 5, broken, ""},
		{"stuck", stuckReader{}, 5, io.ErrNoProgress, ""},
	} {
		err := skipBytes(tc.r, tc.n)
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.wantErr)
			continue
		}
		if err == nil {
			if rest, _ := io.ReadAll(tc.r); string(rest) != tc.rest {
				t.Errorf("%s: left %q, want %q", tc.name, rest, tc.rest)
			}
		}
	}
}
