package fts

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// benchDocs are texts of about 5 KB from a vocabulary of some thousand
// words, like the bench corpus's text.
func benchDocs(n int) []*Doc {
	r := rand.New(rand.NewPCG(5, 6))
	vocab := make([]string, 3000)
	for i := range vocab {
		var b strings.Builder
		for k := 0; k < 3+r.IntN(7); k++ {
			b.WriteByte(byte('a' + r.IntN(26)))
		}
		vocab[i] = b.String()
	}
	docs := make([]*Doc, n)
	for i := range docs {
		var b strings.Builder
		fmt.Fprintf(&b, "From: user%d@example.org\nSubject: message %d\n", i%50, i)
		start := b.Len()
		for b.Len() < 5000 {
			b.WriteString(vocab[r.IntN(len(vocab))])
			b.WriteByte(' ')
		}
		docs[i] = &Doc{Text: []byte(b.String()), BodyStart: start}
	}
	return docs
}

func BenchmarkAdd(b *testing.B) {
	docs := benchDocs(1000)
	x, err := Open(filepath.Join(b.TempDir(), "x.fts"), 1)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		x.Add(uint32(i+1), docs[i%len(docs)])
		if x.Pending() > 1<<20 {
			x.Flush()
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	docs := benchDocs(2000)
	path := filepath.Join(b.TempDir(), "x.fts")
	x, err := Open(path, 1)
	if err != nil {
		b.Fatal(err)
	}
	for i, d := range docs {
		x.Add(uint32(i+1), d)
	}
	x.Flush()
	x.Close()
	b.ReportAllocs()
	for b.Loop() {
		y, err := Open(path, 1)
		if err != nil {
			b.Fatal(err)
		}
		y.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(docs)), "ns/message")
}

// benchIndex writes, at path, the index of n synthetic messages: a
// segment, and a log of the last logDocs messages as the indexer leaves
// it. Each message has about 1,400 trigrams, as the bench corpus's
// messages do: some of the words of a benchDocs text, and a few rare
// trigrams (names, numbers, encoded bytes), so that the segment's
// directory grows with the mailbox as a real one does.
func benchIndex(b *testing.B, path string, n, logDocs int) {
	b.Helper()
	defer func(m int) { mergeDocs = m }(mergeDocs)
	mergeDocs = 20000
	texts := benchDocs(200)
	base := make([][]uint32, len(texts))
	for i, d := range texts {
		base[i] = docKeys(d, nil)
	}
	r := rand.New(rand.NewPCG(7, 8))
	x, err := Open(path, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	var keys []uint32
	for i := range n {
		keys = keys[:0]
		for _, k := range base[i%len(base)] {
			if r.IntN(5) < 2 {
				keys = append(keys, k)
			}
		}
		for range 4 {
			keys = append(keys, uint32(r.IntN(1<<24))<<zoneBits|uint32(Body))
		}
		slices.Sort(keys)
		keys = slices.CompactFunc(keys, func(a, b uint32) bool { return a>>zoneBits == b>>zoneBits })
		x.mu.Lock()
		x.pending = appendRecord(x.pending, recDoc, uint32(i+1), keys)
		x.applyLocked(&record{kind: recDoc, uid: uint32(i + 1), keys: keys}, -1)
		x.mu.Unlock()
		if i == n-logDocs-1 {
			if err := x.Flush(); err != nil {
				b.Fatal(err)
			}
			if err := x.Merge(); err != nil {
				b.Fatal(err)
			}
		} else if x.Pending() > 1<<20 {
			if err := x.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := x.Flush(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOpen opens the index of a mailbox of 10,000 and 100,000
// messages (500 of them in the log): what a fresh process pays before
// it knows which messages are indexed, and then for its first search.
func BenchmarkOpen(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "x.fts")
			benchIndex(b, path, n, 500)
			for _, search := range []bool{false, true} {
				name := "open"
				if search {
					name = "search"
				}
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					var st Stats
					for b.Loop() {
						x, err := Open(path, 1)
						if err != nil {
							b.Fatal(err)
						}
						if st = x.Stats(); st.Messages != n {
							b.Fatalf("%d messages, want %d", st.Messages, n)
						}
						if search && x.Filter("message", Text) == nil {
							b.Fatal("the search was not narrowed")
						}
						x.Close()
					}
					b.ReportMetric(float64(st.Trigrams), "trigrams")
				})
			}
		})
	}
}
