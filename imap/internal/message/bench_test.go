package message

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// benchMessage builds a multipart/mixed message of about size bytes: a
// text part, an HTML part and base64 attachments of 76-column lines.
func benchMessage(size int) []byte {
	var b strings.Builder
	b.WriteString(crlf(`From: "Alice Example" <alice@example.com>
To: Bob <bob@example.com>, team: carol@example.com, dave@example.com;
Cc: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>
Subject: Quarterly report
Date: Mon, 2 Jan 2006 15:04:05 -0700
Message-ID: <report-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==outer=="

--==outer==
Content-Type: multipart/alternative; boundary="==inner=="

--==inner==
Content-Type: text/plain; charset=utf-8

Hello Bob, the report is attached.
--==inner==
Content-Type: text/html; charset=utf-8

<p>Hello Bob, the report is attached.</p>
--==inner==--
`))
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\r\n"
	for n := 0; b.Len() < size-200; n++ {
		fmt.Fprintf(&b, "--==outer==\r\nContent-Type: application/octet-stream; name=\"f%d.bin\"\r\n"+
			"Content-Disposition: attachment; filename=\"f%d.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", n, n)
		for i := 0; i < 64 && b.Len() < size-100; i++ {
			b.WriteString(line)
		}
	}
	b.WriteString("--==outer==--\r\n")
	return []byte(b.String())
}

func BenchmarkParseBodyStructure(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20} {
		msg := benchMessage(size)
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			var dst []byte
			for b.Loop() {
				dst = Parse(msg).AppendBodyStructure(dst[:0], true)
			}
		})
	}
}

func BenchmarkEnvelope(b *testing.B) {
	for _, size := range []int{4 << 10, 1 << 20} {
		msg := benchMessage(size)
		header := Parse(msg).Header()
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.ReportAllocs()
			var dst []byte
			for b.Loop() {
				dst = AppendEnvelope(dst[:0], header)
			}
		})
	}
}

func BenchmarkSection(b *testing.B) {
	msg := benchMessage(1 << 20)
	root := Parse(msg)
	b.ReportAllocs()
	for b.Loop() {
		Section(msg, root, "1.2")
		Section(msg, root, "HEADER.FIELDS (FROM TO SUBJECT)")
	}
}

func TestBenchMessage(t *testing.T) {
	msg := benchMessage(1 << 20)
	root := Parse(msg)
	if len(msg) < 1<<20-300 || len(root.Children) < 10 {
		t.Fatalf("bench message: %d bytes, %d parts", len(msg), len(root.Children))
	}
	if got, _ := Section(msg, root, "1.1"); string(got) != "Hello Bob, the report is attached." {
		t.Errorf("1.1 = %q", got)
	}
	out := root.AppendBodyStructure(nil, true)
	n, err := parseAll(out)
	if err == nil {
		err = checkBody(n, true)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCorpus measures first-touch FETCH BODYSTRUCTURE and SEARCH
// TEXT over a mailbox shaped like the harness's (see corpus_test.go):
// 1,000 messages of about 80 MB in all, and one of 24 MB. Each is done
// with the message loaded four ways:
//
//   - bytes: already in memory with CRLF line ends (the parser alone);
//   - reader: as imap/fetch.go's load does today: the LF file read
//     through storage's CRLF reader into a new buffer of its size
//     (storage.CRLFReader also allocates its 32 KB chunk each time,
//     which View.Open's pooled reader does not);
//   - reader-reused: the same into one buffer reused for every message;
//   - lf: the LF file read as stored into one reused buffer, with no
//     CRLF copy at all, parsed by ParseLF for BODYSTRUCTURE (which needs
//     CRLF sizes) and by Parse for SEARCH TEXT (which does not);
//   - stream: the LF file read front to back through ParseReader and a
//     Searcher, as imap/fetch.go and imap/search.go do, never whole.
//
// MB/s counts the message with CRLF line ends, the size IMAP reports.
func BenchmarkCorpus(b *testing.B) {
	c := loadBenchCorpus()
	benchLoads(b, c.total, len(c.crlf), func(i int) ([]byte, []byte) { return c.crlf[i], c.lf[i] })
}

// BenchmarkBigMessage is BenchmarkCorpus on the 24 MB message alone.
func BenchmarkBigMessage(b *testing.B) {
	c := loadBenchCorpus()
	k := len(c.crlf)/2 - 1
	benchLoads(b, int64(len(c.crlf[k])), 1, func(int) ([]byte, []byte) { return c.crlf[k], c.lf[k] })
}

// benchLoads runs the BodyStructure and SearchText benchmarks over n
// messages of total bytes, which msg returns with CRLF and LF line ends.
func benchLoads(b *testing.B, total int64, n int, msg func(i int) (crlf, lf []byte)) {
	var reused []byte
	loads := []struct {
		name  string
		parse func(raw []byte) *Part
		load  func(i int) []byte
	}{
		{"bytes", Parse, func(i int) []byte { crlf, _ := msg(i); return crlf }},
		{"reader", Parse, func(i int) []byte {
			crlf, lf := msg(i)
			return readLikeFetch(storage.CRLFReader(bytes.NewReader(lf)), len(crlf))
		}},
		{"reader-reused", Parse, func(i int) []byte {
			crlf, lf := msg(i)
			reused = readInto(reused, storage.CRLFReader(bytes.NewReader(lf)), len(crlf))
			return reused
		}},
		{"lf", ParseLF, func(i int) []byte {
			_, lf := msg(i)
			reused = readInto(reused, bytes.NewReader(lf), len(lf))
			return reused
		}},
	}
	for _, l := range loads {
		b.Run("BodyStructure/"+l.name, func(b *testing.B) {
			b.SetBytes(total)
			b.ReportAllocs()
			var dst []byte
			for b.Loop() {
				for i := range n {
					dst = l.parse(l.load(i)).AppendBodyStructure(dst[:0], true)
				}
			}
			reportPerMessage(b, n)
		})
	}
	b.Run("BodyStructure/stream", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		var dst []byte
		for b.Loop() {
			for i := range n {
				_, lf := msg(i)
				root, _ := ParseReader(bytes.NewReader(lf))
				dst = root.AppendBodyStructure(dst[:0], true)
			}
		}
		reportPerMessage(b, n)
	})
	b.Run("SearchText/stream", func(b *testing.B) {
		b.SetBytes(total)
		b.ReportAllocs()
		s := NewSearcher(nil, []string{corpusWord})
		for b.Loop() {
			for i := range n {
				_, lf := msg(i)
				s.Search(bytes.NewReader(lf))
			}
		}
		reportPerMessage(b, n)
	})
	for _, l := range loads {
		b.Run("SearchText/"+l.name, func(b *testing.B) {
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				for i := range n {
					raw := l.load(i)
					ContainsFold(SearchText(raw, Parse(raw), true), corpusWord)
				}
			}
			reportPerMessage(b, n)
		})
	}
}

// readLikeFetch reads r as imap/fetch.go's load does.
func readLikeFetch(r io.Reader, size int) []byte {
	buf := bytes.NewBuffer(make([]byte, 0, size+512))
	if _, err := io.Copy(buf, r); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// readInto reads all of r, about size bytes, into buf's storage.
func readInto(buf []byte, r io.Reader, size int) []byte {
	buf = slices.Grow(buf[:0], size+1)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 4096)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf
		}
		if err != nil {
			panic(err)
		}
	}
}

// reportPerMessage reports the time per message of a benchmark that
// goes through n messages in each iteration.
func reportPerMessage(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
}
