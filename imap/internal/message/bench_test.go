package message

import (
	"fmt"
	"strings"
	"testing"
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
