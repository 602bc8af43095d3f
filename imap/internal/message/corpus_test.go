package message

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"mime"
	"strings"
	"sync"
	"time"
)

// This file generates a mailbox shaped like the benchmark harness's
// (bench/internal/corpus, which internal/ keeps out of reach from here):
// 55% text/plain (a fifth of it UTF-8 quoted-printable), 25%
// multipart/alternative (quoted-printable text and HTML), 15%
// multipart/mixed with one to three base64 attachments (log-normal,
// median 60 KB), 4% mixed with an alternative inside, 1% forwarded
// messages; realistic headers; about 1% of the messages contain
// corpusWord in a text part. Messages have LF line ends, as on disk.

// corpusWord is what SEARCH TEXT looks for; base64 never has a '-'.
const corpusWord = "xyzzy-plugh"

var corpusWords = strings.Fields(`the of and to a in is it you that he was for on are with as I his they be at one
have this or had by hot word but what some we can out other were all there when up use your how said an each
she which do their time if will way about many then them write would like so these her long make thing see him
two has look more day could go come did number sound no most people my over know water than call first who may
down side been now find any new work part take get place made live where after back little only round man year
came show every good me give our under name very through just form sentence great think say help low line differ
turn cause much mean before move right boy old too same tell does set three want air well also play small end put
home read hand port large spell add even land here must big high such follow act why ask men change went light`)

var corpusUTF8Words = strings.Fields("café naïve Grüße über señor façade déjà smörgåsbord Ångström jalapeño crème brûlée Zürich Köln")

var corpusNames = []string{"Anna Almeida", "Bruno Berg", "Chloe Castro", "Dmitri Dubois", "Elena Eriksen",
	"Farid Fischer", "Grace Garcia", "Hiro Hansen", "Ines Ivanova", "Jonas Jensen", "Kira Kowalski"}

var corpusDomains = []string{"example.com", "example.net", "mail.example.org", "lists.example.com", "corp.example"}

var corpusUTF8Subjects = []string{"Grüße aus München", "Réunion de café", "Überweisung erhalten",
	"Ελληνικά νέα", "Встреча в пятницу", "会議の議事録"}

// corpusGen draws one message from its own stream.
type corpusGen struct {
	rng     *rand.Rand
	hasWord bool
	b       bytes.Buffer
}

// corpusMessage returns message i of the corpus seeded by seed, with LF
// line ends. bigSize > 0 makes it a multipart/mixed with one base64
// attachment filling it to about bigSize bytes.
func corpusMessage(seed uint64, i, bigSize int) []byte {
	g := &corpusGen{rng: rand.New(rand.NewPCG(seed, uint64(i)))}
	g.hasWord = g.rng.Float64() < 0.01
	g.b.Grow(8 << 10)
	g.headers(i)
	boundary := fmt.Sprintf("=_bench_%016x", g.rng.Uint64())
	b := &g.b
	switch r := g.rng.Float64(); {
	case bigSize == 0 && r < 0.55:
		g.textPart(true, g.lognormal(1500, 0.9, 80, 60000))
	case bigSize == 0 && r < 0.80:
		b.WriteString("Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\n\n")
		b.WriteString("This is a multi-part message in MIME format.\n")
		g.alternative(boundary)
	default:
		b.WriteString("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n")
		b.WriteString("This is a multi-part message in MIME format.\n")
		b.WriteString("\n--" + boundary + "\n")
		mixedAlt := bigSize == 0 && r >= 0.95 && r < 0.99
		if mixedAlt {
			inner := fmt.Sprintf("=_bench_alt_%016x", g.rng.Uint64())
			b.WriteString("Content-Type: multipart/alternative; boundary=\"" + inner + "\"\n\n")
			g.alternative(inner)
		} else {
			g.textPart(false, g.lognormal(900, 0.8, 80, 20000))
		}
		switch {
		case bigSize > 0:
			b.WriteString("\n--" + boundary + "\n")
			g.attachment("application/octet-stream", "backup.tar.gz", max(bigSize-b.Len()-400, 1024)*57/77)
		case r >= 0.99:
			b.WriteString("\n--" + boundary + "\n")
			g.forwarded()
		default:
			for k := 1 + g.rng.IntN(3); k > 0; k-- {
				b.WriteString("\n--" + boundary + "\n")
				typ := []string{"application/pdf", "image/jpeg", "image/png", "application/zip"}[g.rng.IntN(4)]
				g.attachment(typ, fmt.Sprintf("file-%d", i), g.lognormal(60<<10, 1.2, 2<<10, 6<<20))
			}
		}
		b.WriteString("\n--" + boundary + "--\n")
	}
	return g.b.Bytes()
}

func (g *corpusGen) lognormal(median, sigma float64, lo, hi int) int {
	v := median * math.Exp(sigma*g.rng.NormFloat64())
	return min(max(int(v), lo), hi)
}

func (g *corpusGen) sender() string {
	n := corpusNames[g.rng.IntN(len(corpusNames))]
	d := corpusDomains[g.rng.IntN(len(corpusDomains))]
	first, last, _ := strings.Cut(n, " ")
	if g.rng.IntN(2) == 0 {
		return fmt.Sprintf("%q <%s@%s>", last+", "+first, strings.ToLower(first[:1]+last), d)
	}
	return fmt.Sprintf("%s <%s.%s@%s>", n, strings.ToLower(first), strings.ToLower(last), d)
}

func (g *corpusGen) headers(i int) {
	b, rng := &g.b, g.rng
	from := g.sender()
	date := time.Date(2019, 3, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 4 * time.Hour)
	b.WriteString("Return-Path: <bounce@example.com>\n")
	for k := 1 + rng.IntN(3); k > 0; k-- {
		fmt.Fprintf(b, "Received: from mx%d.example.com (mx%d.example.com [192.0.2.%d])\n\tby mail.example.org (Postfix) with ESMTPS id %X\n\tfor <bench@example.org>; %s\n",
			k, k, 1+rng.IntN(254), rng.Uint32(), date.Format(time.RFC1123Z))
	}
	if rng.Float64() < 0.4 {
		fmt.Fprintf(b, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel1;\n\th=from:to:subject:date:message-id:mime-version;\n\tbh=%s;\n\tb=", g.randBase64(32))
		sig := g.randBase64(256)
		for len(sig) > 70 {
			b.WriteString(sig[:70] + "\n\t  ")
			sig = sig[70:]
		}
		b.WriteString(sig + "\n")
	}
	fmt.Fprintf(b, "Date: %s\nFrom: %s\nTo: Bench User <bench@example.org>\n", date.Format(time.RFC1123Z), from)
	if rng.Float64() < 0.2 {
		cc := g.sender()
		for k := rng.IntN(3); k > 0; k-- {
			cc += ",\n    " + g.sender()
		}
		fmt.Fprintf(b, "Cc: %s\n", cc)
	}
	if rng.Float64() < 0.05 {
		fmt.Fprintf(b, "Subject: %s\n", mime.BEncoding.Encode("UTF-8", corpusUTF8Subjects[rng.IntN(len(corpusUTF8Subjects))]))
	} else {
		fmt.Fprintf(b, "Subject: Re: quarterly report %d\n", rng.IntN(1000))
	}
	fmt.Fprintf(b, "Message-ID: <%016x.%d@example.com>\nMIME-Version: 1.0\n", rng.Uint64(), i)
}

func (g *corpusGen) randBase64(n int) string {
	raw := make([]byte, n)
	for k := range raw {
		raw[k] = byte(g.rng.Uint32())
	}
	return base64.StdEncoding.EncodeToString(raw)
}

func (g *corpusGen) alternative(boundary string) {
	b := &g.b
	size := g.lognormal(2500, 0.9, 200, 60000)
	seed := g.rng.Uint64()
	b.WriteString("\n--" + boundary + "\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")
	g.writeText(seed, size, true, false)
	b.WriteString("\n--" + boundary + "\n")
	b.WriteString("Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")
	g.writeText(seed, size, true, true)
	b.WriteString("\n--" + boundary + "--\n")
}

func (g *corpusGen) textPart(top bool, size int) {
	b := &g.b
	utf8 := g.rng.Float64() < 0.2
	switch {
	case utf8:
		b.WriteString("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n")
	case top:
		b.WriteString("Content-Type: text/plain; charset=us-ascii; format=flowed\nContent-Transfer-Encoding: 7bit\n")
	default:
		b.WriteString("Content-Type: text/plain; charset=us-ascii\n")
	}
	b.WriteString("\n")
	g.writeText(g.rng.Uint64(), size, utf8, false)
}

func (g *corpusGen) forwarded() {
	b := &g.b
	b.WriteString("Content-Type: message/rfc822\nContent-Disposition: inline\n\n")
	fmt.Fprintf(b, "Date: Mon, 2 Jan 2006 15:04:05 -0700\nFrom: %s\nTo: %s\nSubject: Fwd: notes\nMessage-ID: <%016x@example.com>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n",
		g.sender(), g.sender(), g.rng.Uint64())
	g.writeText(g.rng.Uint64(), g.lognormal(1200, 0.7, 100, 10000), false, false)
}

// writeText writes about size bytes of paragraphs in lines of at most 72
// bytes, quoted-printable encoding non-ASCII words and '=' (so the text
// and HTML alternatives drawn from one seed say the same).
func (g *corpusGen) writeText(seed uint64, size int, utf8, html bool) {
	b := &g.b
	rng := rand.New(rand.NewPCG(seed, 7))
	if html {
		b.WriteString("<html>\n<head>\n<meta http-equiv=3D\"Content-Type\" content=3D\"text/html; charset=3Dutf-8\">\n</head>\n<body>\n")
	}
	total, first := 0, true
	for total < size {
		if html {
			b.WriteString("<p>")
		} else if !first {
			b.WriteString("\n")
		}
		line := 0
		n := 15 + rng.IntN(80)
		for k := 0; k < n; k++ {
			w := corpusWords[rng.IntN(len(corpusWords))]
			if utf8 && rng.Float64() < 0.03 {
				w = qpWord(corpusUTF8Words[rng.IntN(len(corpusUTF8Words))])
			}
			if first && k == 1 && g.hasWord {
				w = corpusWord
			}
			if k > 0 && line+1+len(w) > 72 {
				b.WriteString("\n")
				line = 0
			} else if k > 0 {
				b.WriteString(" ")
				line++
			}
			b.WriteString(w)
			line += len(w)
			total += len(w) + 1
		}
		if html {
			b.WriteString("</p>")
		}
		b.WriteString("\n")
		first = false
	}
	if html {
		b.WriteString("<div class=3D\"signature\">--<br>Sent from the benchmark</div>\n</body>\n</html>\n")
	}
}

func qpWord(s string) string {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c == '=' {
			fmt.Fprintf(&out, "=%02X", c)
		} else {
			out.WriteByte(c)
		}
	}
	return out.String()
}

func (g *corpusGen) attachment(typ, name string, raw int) {
	b := &g.b
	fmt.Fprintf(b, "Content-Type: %s; name=\"%s\"\nContent-Disposition: attachment; filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n", typ, name, name)
	data := make([]byte, (raw+7)/8*8)
	for k := 0; k < len(data); k += 8 {
		binary.LittleEndian.PutUint64(data[k:], g.rng.Uint64())
	}
	enc := make([]byte, base64.StdEncoding.EncodedLen(raw))
	base64.StdEncoding.Encode(enc, data[:raw])
	b.Grow(len(enc) + len(enc)/76 + 1)
	for len(enc) > 76 {
		b.Write(enc[:76])
		b.WriteByte('\n')
		enc = enc[76:]
	}
	b.Write(enc)
	b.WriteByte('\n')
}

// benchCorpus is the benchmarks' mailbox: n ordinary messages and one
// big one of bigSize bytes in the middle, with CRLF line ends (as
// storage's View.Open hands them to FETCH) and with LF (as on disk).
type benchCorpus struct {
	crlf, lf [][]byte
	total    int64 // bytes with CRLF
}

var (
	benchCorpusOnce sync.Once
	benchCorpusData *benchCorpus
)

// loadBenchCorpus generates, once, 1,000 messages (about 80 MB) and a
// 24 MB one.
func loadBenchCorpus() *benchCorpus {
	benchCorpusOnce.Do(func() {
		const n, big = 1000, 24 << 20
		c := &benchCorpus{}
		for i := 1; i <= n; i++ {
			bigSize := 0
			if i == n/2 {
				bigSize = big
			}
			lf := corpusMessage(1, i, bigSize)
			crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
			c.lf = append(c.lf, lf)
			c.crlf = append(c.crlf, crlf)
			c.total += int64(len(crlf))
		}
		benchCorpusData = c
	})
	return benchCorpusData
}
