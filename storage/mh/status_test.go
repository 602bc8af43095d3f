package mh

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

func TestStripStatus(t *testing.T) {
	tests := []struct {
		name, in, want, status string
		has                    bool
	}{
		{"none", "Subject: a\n\nbody\n", "Subject: a\n\nbody\n", "", false},
		{"imap4d", "From: a@b\nStatus: RO\nSubject: a\n\nbody\n", "From: a@b\nSubject: a\n\nbody\n", "RO", true},
		{"first line", "Status: O\nSubject: a\n\nx\n", "Subject: a\n\nx\n", "O", true},
		{"any case", "status:  FA \n\nx\n", "\nx\n", "FA", true},
		{"continued", "Status: R\n O\nSubject: a\n\nx\n", "Subject: a\n\nx\n", "RO", true},
		{"crlf", "Status: R\r\nSubject: a\r\n\r\nx\r\n", "Subject: a\r\n\r\nx\r\n", "R", true},
		{"in the body", "Subject: a\n\nStatus: RO\n", "Subject: a\n\nStatus: RO\n", "", false},
		{"after a non-field line", "Subject: a\nnot a field\nStatus: R\n", "Subject: a\nnot a field\nStatus: R\n", "", false},
		{"X-Status stays", "X-Status: F\nStatus: R\n\n", "X-Status: F\n\n", "R", true},
		{"no body", "Subject: a\nStatus: R", "Subject: a\n", "R", true},
		{"empty", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, info, err := stripStatus(bufio.NewReader(strings.NewReader(tt.in)))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(r)
			if string(got) != tt.want || info.status != tt.status || info.hasStatus != tt.has {
				t.Fatalf("got %q %+v, want %q %q %v", got, info, tt.want, tt.status, tt.has)
			}
			size, _, err := measure(strings.NewReader(tt.in))
			if err != nil || size != crlfSize(tt.want) {
				t.Fatalf("measure = %d, %v; want %d", size, err, crlfSize(tt.want))
			}
		})
	}
}

func TestStripStatusLongHeader(t *testing.T) {
	long := "X-Long: " + strings.Repeat("a", maxHeader) + "\nStatus: R\n\nbody\n"
	r, info, err := stripStatus(bufio.NewReader(strings.NewReader(long)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if string(got) != long || info.hasStatus {
		t.Fatalf("a header past the limit was changed (%d bytes, %+v)", len(got), info)
	}
}

// FuzzStripStatus checks that the Status: filter never panics, that it
// only takes lines out, and that measure's size is exactly the size of
// what Open returns once CRLF is added.
func FuzzStripStatus(f *testing.F) {
	for _, seed := range []string{
		"Status: RO\nSubject: a\n\nbody\n", "Subject: a\n Status: R\n\n", "Status:\r\n\r\n",
		"status : F\n\tO\nX: y\n", "no header at all\nStatus: R\n", "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r, info, err := stripStatus(bufio.NewReaderSize(bytes.NewReader(in), 16))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(r)
		if !info.hasStatus && !bytes.Equal(out, in) {
			t.Fatalf("changed without a Status: field: %q -> %q", in, out)
		}
		if !isSubsequence(out, in) {
			t.Fatalf("not just lines taken out: %q -> %q", in, out)
		}
		size, _, err := measure(bytes.NewReader(in))
		want, _ := storage.CRLFSize(bytes.NewReader(out))
		if err != nil || size != want {
			t.Fatalf("measure = %d, %v; Open gives %d bytes with CRLF", size, err, want)
		}
	})
}

// isSubsequence reports whether the lines of a are lines of b, in order.
func isSubsequence(a, b []byte) bool {
	la, lb := bytes.SplitAfter(a, []byte("\n")), bytes.SplitAfter(b, []byte("\n"))
	j := 0
	for _, l := range la {
		for j < len(lb) && !bytes.Equal(lb[j], l) {
			j++
		}
		if j == len(lb) {
			return len(l) == 0
		}
		j++
	}
	return true
}
