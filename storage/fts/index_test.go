package fts

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// containsFold is SEARCH's case-insensitive substring match, as the
// imap package's message.ContainsFold defines it.
func containsFold(text []byte, needle string) bool {
	if isASCII(needle) {
		return bytes.Contains(asciiLower(text), asciiLower([]byte(needle)))
	}
	return bytes.Contains(bytes.ToLower(text), bytes.ToLower([]byte(needle)))
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

func openTemp(t *testing.T, validity uint32) (*Index, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fts", "INBOX.fts")
	x, err := Open(path, validity)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x, path
}

func TestFilterNarrows(t *testing.T) {
	x, _ := openTemp(t, 7)
	x.Add(1, &Doc{Text: []byte("Subject: Hello\nthe xyzzy-plugh word\n"), BodyStart: 15})
	x.Add(2, &Doc{Text: []byte("Subject: xyzzy-plugh\nnothing here\n"), BodyStart: 21})
	x.Add(3, &Doc{Text: []byte("Subject: other\nStraße in München\n"), BodyStart: 15, HeaderText: [][]byte{[]byte("From: Ann <ann@example.org>")}})
	x.Add(4, &Doc{TooLarge: true})
	tests := []struct {
		needle string
		zone   Zone
		want   []uint32 // of 1..5; 5 is unknown, so always a candidate
	}{
		{"XYZZY-plugh", Text, []uint32{1, 2, 4, 5}},
		{"xyzzy-plugh", Body, []uint32{1, 4, 5}},
		{"xyzzy-plugh", Header, []uint32{2, 4, 5}},
		{"MÜNCHEN", Body, []uint32{3, 4, 5}},
		{"ann@example", Header, []uint32{3, 4, 5}},
		{"ann@example", Body, []uint32{4, 5}},
		{"hello\nthe", Text, []uint32{1, 4, 5}},
		{"ab", Text, []uint32{1, 2, 3, 4, 5}}, // too short to narrow
	}
	for _, tt := range tests {
		f := x.Filter(tt.needle, tt.zone)
		var got []uint32
		for uid := uint32(1); uid <= 5; uid++ {
			if f.May(uid) {
				got = append(got, uid)
			}
		}
		if !equalUIDs(got, tt.want) {
			t.Errorf("Filter(%q, %d): %v, want %v", tt.needle, tt.zone, got, tt.want)
		}
	}
	// A message added after the question is a candidate.
	f := x.Filter("xyzzy-plugh", Body)
	x.Add(6, &Doc{Text: []byte("xyzzy-plugh")})
	if !f.May(6) {
		t.Errorf("a message added after the Filter was ruled out")
	}
	x.Remove(1)
	if f := x.Filter("xyzzy-plugh", Body); !f.May(1) || f.Count() != 2 {
		t.Errorf("after Remove(1): May(1) %v (unknown again), count %d, want 1", f.May(1), f.Count())
	}
}

func equalUIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// pieces of text where case folding is not simple: Kelvin sign, dotted
// capital I, final sigma, sharp s, a bad byte, an encoded word.
var pieces = []string{"a", "B", "c", " ", "\n", "-", "K", "k", "İ", "i", "Σ", "σ", "ς", "ß", "SS", "é", "É", "\xff", "\xc3", "=?", "日本", "ǅ", "ǆ", "Ǆ"}

func randomText(r *rand.Rand, n int) []byte {
	var b []byte
	for range n {
		b = append(b, pieces[r.IntN(len(pieces))]...)
	}
	return b
}

// TestFilterIsSound: whenever SEARCH's match finds a string in a text,
// the index keeps the message as a candidate, for random texts with
// hard case folding and needles cut from them at any byte, case changed.
func TestFilterIsSound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x, _ := openTemp(t, 1)
	texts := make([][]byte, 300)
	starts := make([]int, len(texts))
	for i := range texts {
		texts[i] = randomText(r, 5+r.IntN(60))
		starts[i] = bytes.IndexByte(texts[i], '\n') + 1
		x.Add(uint32(i+1), &Doc{Text: texts[i], BodyStart: starts[i]})
	}
	for range 400 {
		src := texts[r.IntN(len(texts))]
		i := r.IntN(len(src))
		j := i + r.IntN(min(12, len(src)-i)+1)
		needle := string(src[i:j])
		switch r.IntN(3) {
		case 0:
			needle = string(bytes.ToUpper([]byte(needle)))
		case 1:
			needle = string(bytes.ToLower([]byte(needle)))
		}
		for _, z := range []Zone{Text, Body} {
			f := x.Filter(needle, z)
			for k, text := range texts {
				if z == Body {
					text = text[starts[k]:]
				}
				if containsFold(text, needle) && !f.May(uint32(k+1)) {
					t.Fatalf("zone %d: message %d holds %q but the index rules it out (text %q)", z, k+1, needle, text)
				}
			}
		}
	}
}

func TestPersistAndReopen(t *testing.T) {
	x, path := openTemp(t, 9)
	x.Add(10, &Doc{Text: []byte("hello world")})
	x.Add(11, &Doc{Text: []byte("other words")})
	x.Remove(11)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	y, err := Open(path, 9)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if !y.Known(10) || y.Known(11) {
		t.Fatalf("reopened: known 10 %v, 11 %v; want true, false", y.Known(10), y.Known(11))
	}
	if f := y.Filter("WORLD", Text); !f.May(10) || f.Count() != 1 {
		t.Errorf("reopened: world not found")
	}
	// Another UIDVALIDITY: the index starts again.
	z, err := Open(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if z.Known(10) {
		t.Errorf("UIDVALIDITY changed, yet message 10 is known")
	}
	// y, still open, notices the file was replaced.
	if y.Filter("world", Text); y.Known(10) {
		t.Errorf("the file was replaced, yet y knows message 10")
	}
}

// TestTwoWriters: two processes' indexes of one file see each other's
// messages.
func TestTwoWriters(t *testing.T) {
	x, path := openTemp(t, 3)
	y, err := Open(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	x.Add(1, &Doc{Text: []byte("alpha beta")})
	y.Add(2, &Doc{Text: []byte("gamma delta")})
	y.Add(1, &Doc{Text: []byte("alpha beta")})
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := y.Flush(); err != nil {
		t.Fatal(err)
	}
	if f := x.Filter("gamma", Text); f.Count() != 1 || !x.Known(2) {
		t.Errorf("x does not see y's message")
	}
	if got := y.UIDs(); !equalUIDs(got, []uint32{1, 2}) {
		t.Errorf("y knows %v, want [1 2]", got)
	}
}

// TestCutAnywhere: a writer killed at any byte of its write leaves a
// file that opens as the records before the cut, and the next writer
// continues it consistently.
func TestCutAnywhere(t *testing.T) {
	x, path := openTemp(t, 5)
	x.Add(1, &Doc{Text: []byte("first message text")})
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	x.Add(2, &Doc{Text: []byte("second message text")})
	x.Add(3, &Doc{TooLarge: true})
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(path)
	for cut := len(before); cut < len(full); cut++ {
		if err := os.WriteFile(path, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		y, err := Open(path, 5)
		if err != nil {
			t.Fatal(err)
		}
		if !y.Known(1) || y.Known(3) {
			t.Fatalf("cut at %d: known %v", cut, y.UIDs())
		}
		y.Add(4, &Doc{Text: []byte("fourth")})
		if err := y.Flush(); err != nil {
			t.Fatal(err)
		}
		y.Close()
		z, err := Open(path, 5)
		if err != nil {
			t.Fatal(err)
		}
		got := z.UIDs()
		z.Close()
		if !(equalUIDs(got, []uint32{1, 4}) || equalUIDs(got, []uint32{1, 2, 4})) {
			t.Fatalf("cut at %d, then a write: known %v", cut, got)
		}
	}
	// A damaged header: started again.
	full[2] ^= 0xff
	os.WriteFile(path, full, 0o600)
	y, err := Open(path, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if len(y.UIDs()) != 0 {
		t.Errorf("a damaged header was trusted: %v", y.UIDs())
	}
}

// TestSegment: messages merged into the segment, and those in the log
// after it, answer alike, across a reopen, with expunges masked; a
// segment that does not match its log is not used.
func TestSegment(t *testing.T) {
	defer func(n int) { mergeDocs = n }(mergeDocs)
	mergeDocs = 50
	r := rand.New(rand.NewPCG(7, 8))
	x, path := openTemp(t, 2)
	texts := make([][]byte, 180)
	for i := range texts {
		texts[i] = randomText(r, 10+r.IntN(40))
		x.Add(uint32(i+1), &Doc{Text: texts[i]})
		if i%7 == 0 {
			if err := x.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	x.Remove(3, 100)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	if st := x.Stats(); st.Trigrams == 0 || st.TailMessages >= 50 {
		t.Fatalf("no segment written: %+v", st)
	}
	check := func(x *Index) {
		t.Helper()
		for range 200 {
			src := texts[r.IntN(len(texts))]
			i := r.IntN(len(src))
			needle := string(src[i:min(len(src), i+3+r.IntN(6))])
			f := x.Filter(needle, Text)
			for k, text := range texts {
				uid := uint32(k + 1)
				if uid == 3 || uid == 100 {
					if f.May(uid) != true || (f != nil && f.hits[k/64]&(1<<(k%64)) != 0) {
						t.Fatalf("removed message %d is a hit", uid)
					}
					continue
				}
				if containsFold(text, needle) && !f.May(uid) {
					t.Fatalf("message %d holds %q but the index rules it out", uid, needle)
				}
			}
		}
	}
	check(x)
	y, err := Open(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if y.Len() != 178 || y.Stats().Trigrams == 0 {
		t.Fatalf("reopened: %d messages, %+v", y.Len(), y.Stats())
	}
	check(y)
	// The log of another generation: the segment is not used.
	y.Close()
	b, _ := os.ReadFile(path)
	b[12] ^= 1
	copy(b[:headerSize], encodeHeader(2, binary.BigEndian.Uint64(b[12:])))
	os.WriteFile(path, b, 0o600)
	z, err := Open(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if z.Stats().Trigrams != 0 || z.Len() >= 178 {
		t.Errorf("a segment of another generation was used: %+v", z.Stats())
	}
}

// TestDamagedSegmentList: a list that fails its check is noticed by the
// search, which then does not narrow, and the index is started again.
func TestDamagedSegmentList(t *testing.T) {
	defer func(n int) { mergeDocs = n }(mergeDocs)
	mergeDocs = 10
	x, path := openTemp(t, 4)
	for i := range 12 {
		x.Add(uint32(i+1), &Doc{Text: []byte(fmt.Sprintf("common words and number %d", i))})
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	x.Close()
	seg, _ := os.ReadFile(path + ".seg")
	tabOff := binary.BigEndian.Uint64(seg[32:])
	for i := segHeaderSize; i < int(tabOff); i++ {
		seg[i] ^= 0x55
	}
	os.WriteFile(path+".seg", seg, 0o600)
	y, err := Open(path, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if y.Len() != 12 {
		t.Fatalf("reopened with %d messages", y.Len())
	}
	if f := y.Filter("common", Text); f != nil {
		t.Fatalf("a damaged list narrowed the search to %d", f.Count())
	}
	if y.Filter("words", Text); y.Len() != 0 {
		t.Errorf("the damaged index was kept: %d messages", y.Len())
	}
}

func FuzzReadSegment(f *testing.F) {
	var buf fileBuf
	tail := newTail()
	tail.add(0, []uint32{9<<zoneBits | 2})
	tail.add(1, []uint32{7<<zoneBits | 1})
	tail.add(2, []uint32{7<<zoneBits | 3})
	tail.invert()
	if err := writeSegment(&buf, 1, 2, nil, []uint32{5, 6, 0}, []int32{2}, tail); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.b)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := readSegment(bytes.NewReader(data), 1, 2)
		if err != nil {
			return
		}
		if len(s.uids) != s.docs || len(s.always) > s.docs {
			t.Fatalf("%d UIDs, %d TooLarge of %d messages", len(s.uids), len(s.always), s.docs)
		}
		if err := s.loadDir(); err != nil {
			if s.loaded || s.dir != nil {
				t.Fatalf("a directory that failed (%v) is kept", err)
			}
			return
		}
		for i := range s.nTri {
			e := s.entry(i)
			if got, ok := s.find(e.tri); !ok || got != e {
				t.Fatalf("find(%d) = %+v %v, want entry %d %+v", e.tri, got, ok, i, e)
			}
			if e.off+uint64(e.n) > uint64(len(data)) {
				continue
			}
			decodeList(data[e.off:e.off+uint64(e.n)], uint32(s.docs), func(o uint32, z Zone) {
				if o >= uint32(s.docs) || z == 0 {
					t.Fatalf("posting %d zone %d of %d messages", o, z, s.docs)
				}
			})
		}
	})
}

// fileBuf is an in-memory io.Writer and io.WriterAt.
type fileBuf struct{ b []byte }

func (w *fileBuf) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *fileBuf) WriteAt(p []byte, off int64) (int, error) {
	if need := int(off) + len(p); need > len(w.b) {
		w.b = append(w.b, make([]byte, need-len(w.b))...)
	}
	copy(w.b[off:], p)
	return len(p), nil
}

// TestFilterSameInEveryLayout: whether a message's keys are fresh in
// the tail, inverted into the tail's lists, merged into the segment or
// read back from the files, a search's candidates are exactly the
// messages whose keys hold every trigram of the string in the zone.
func TestFilterSameInEveryLayout(t *testing.T) {
	defer func(m, k int) { mergeDocs, invertKeys = m, k }(mergeDocs, invertKeys)
	r := rand.New(rand.NewPCG(11, 12))
	texts := make([][]byte, 250)
	docs := make([]*Doc, len(texts))
	for i := range texts {
		texts[i] = randomText(r, 5+r.IntN(80))
		docs[i] = &Doc{Text: texts[i], BodyStart: bytes.IndexByte(texts[i], '\n') + 1}
		if i%9 == 0 {
			docs[i].HeaderText = [][]byte{randomText(r, 10)}
		}
	}
	// want is what the index must answer, from each message's keys.
	keysOf := make([][]uint32, len(docs))
	for i, d := range docs {
		keysOf[i] = docKeys(d, nil)
	}
	want := func(needle string, z Zone, uid uint32) bool {
		if uid == 17 { // TooLarge
			return true
		}
		keys := keysOf[uid-1]
		for _, g := range needleTrigrams(needle) {
			i, _ := slices.BinarySearch(keys, g<<zoneBits)
			if i == len(keys) || keys[i]>>zoneBits != g || Zone(keys[i])&z == 0 {
				return false
			}
		}
		return true
	}
	var needles []string
	for range 150 {
		src := texts[r.IntN(len(texts))]
		i := r.IntN(len(src))
		needles = append(needles, string(src[i:min(len(src), i+3+r.IntN(8))]))
	}
	check := func(name string, x *Index) {
		t.Helper()
		for _, n := range needles {
			for _, z := range []Zone{Header, Body, Text} {
				f := x.Filter(n, z)
				if f == nil {
					continue
				}
				for uid := uint32(1); uid <= uint32(len(docs)); uid++ {
					if got := f.May(uid); got != want(n, z, uid) {
						t.Fatalf("%s: Filter(%q, %d).May(%d) = %v", name, n, z, uid, got)
					}
				}
			}
		}
	}
	for _, c := range []struct{ merge, invert int }{{4096, 1 << 17}, {4096, 1}, {4096, 97}, {40, 1 << 17}, {33, 50}} {
		mergeDocs, invertKeys = c.merge, c.invert
		name := fmt.Sprintf("merge %d invert %d", c.merge, c.invert)
		x, path := openTemp(t, 3)
		for i, d := range docs {
			if i+1 == 17 {
				d = &Doc{TooLarge: true}
			}
			x.Add(uint32(i+1), d)
			if r.IntN(20) == 0 {
				if err := x.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		}
		check(name, x)
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
		y, err := Open(path, 3)
		if err != nil {
			t.Fatal(err)
		}
		check(name+" reopened", y)
		if err := y.Merge(); err != nil {
			t.Fatal(err)
		}
		check(name+" merged", y)
		y.Close()
	}
}

// TestOpenOwnIgnoresOthersFiles: OpenOwn reads neither a log nor a
// segment that belongs to another user, and replaces the log.
func TestOpenOwnIgnoresOthersFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	defer func(n int) { mergeDocs = n }(mergeDocs)
	mergeDocs = 3
	for _, which := range []string{"", ".seg"} {
		x, path := openTemp(t, 5)
		for i := range 5 {
			x.Add(uint32(i+1), &Doc{Text: []byte(fmt.Sprintf("planted words %d", i))})
		}
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
		x.Close()
		if y, err := OpenOwn(path, 5); err != nil || y.Len() != 5 {
			t.Fatalf("own files: %v, %d messages", err, y.Len())
		} else {
			y.Close()
		}
		if err := os.Chown(path+which, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		y, err := OpenOwn(path, 5)
		if err != nil {
			t.Fatal(err)
		}
		if which == "" && y.Len() != 0 || which == ".seg" && y.Len() >= 5 {
			t.Errorf("another user's %q was read: %d messages", "log"+which, y.Len())
		}
		y.Close()
		if st, err := os.Stat(path); err != nil || !ownFile(mustOpen(t, path)) {
			t.Errorf("the log was not replaced: %v %v", st, err)
		}
		z, err := Open(path, 5)
		if err != nil {
			t.Fatal(err)
		}
		z.Close()
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestRemove: an index removed (log and segment) opens empty, and one
// that is not there is no error.
func TestRemove(t *testing.T) {
	defer func(n int) { mergeDocs = n }(mergeDocs)
	mergeDocs = 3
	x, path := openTemp(t, 5)
	for i := range 5 {
		x.Add(uint32(i+1), &Doc{Text: []byte(fmt.Sprintf("old words %d", i))})
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	x.Close()
	for range 2 {
		if err := Remove(path); err != nil {
			t.Fatal(err)
		}
	}
	y, err := Open(path, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if y.Len() != 0 {
		t.Errorf("after Remove: %d messages", y.Len())
	}
}
