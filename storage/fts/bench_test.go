package fts

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
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
