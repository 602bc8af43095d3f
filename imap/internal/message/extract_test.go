package message

import (
	"bytes"
	"testing"
)

// checkExtract holds ExtractText to SearchText: the text a full-text
// index learns is the text SEARCH looks in.
func checkExtract(t *testing.T, msg []byte) {
	t.Helper()
	root := Parse(msg)
	text, start, header, full, err := ExtractText(bytes.NewReader(msg), 1<<20)
	if err != nil || !full {
		t.Fatalf("ExtractText: full %v, err %v", full, err)
	}
	if want := SearchText(msg, root, true); !bytes.Equal(text, want) {
		t.Fatalf("text %q\nwant %q\nmessage %q", text, want, msg)
	}
	if want := SearchText(msg, root, false); !bytes.Equal(text[start:], want) {
		t.Fatalf("body text %q\nwant %q\nmessage %q", text[start:], want, msg)
	}
	if !bytes.HasPrefix(msg, header) {
		t.Fatalf("header %q is not the start of the message %q", header, msg)
	}
}

func TestExtractText(t *testing.T) {
	for _, msg := range append(streamCases(), searchTextMsg) {
		checkExtract(t, []byte(msg))
	}
	for i := 1; i <= 30; i++ {
		checkExtract(t, corpusMessage(4, i, 0))
	}
	_, _, _, full, _ := ExtractText(bytes.NewReader([]byte(searchTextMsg)), 10)
	if full {
		t.Errorf("ExtractText with a limit of 10 bytes says the text is whole")
	}
}

func FuzzExtractText(f *testing.F) {
	for _, s := range streamCases() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) { checkExtract(t, msg) })
}
