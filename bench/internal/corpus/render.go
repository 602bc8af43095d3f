package corpus

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"mime"
	"strings"
	"time"
)

// render writes the message. Lines end in LF, as delivery agents store
// them; every line is at most 998 bytes and no body line starts with
// "From ", so the same bytes are valid in maildir and (unescaped) mbox.
func (p *plan) render() []byte {
	m := &p.meta
	rng := p.rng
	var b bytes.Buffer
	b.Grow(8 << 10)
	p.headers(&b)
	boundary := fmt.Sprintf("=_bench_%016x", rng.Uint64())
	switch m.Kind {
	case Plain:
		p.textPart(&b, true, lognormal(rng, 1500, 0.9, 80, 60000))
	case Alternative:
		b.WriteString("Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\n\n")
		b.WriteString("This is a multi-part message in MIME format.\n")
		p.alternative(&b, boundary)
	case Mixed, MixedAlt, Forward, Big:
		b.WriteString("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\n\n")
		b.WriteString("This is a multi-part message in MIME format.\n")
		b.WriteString("\n--" + boundary + "\n")
		if m.Kind == MixedAlt {
			inner := fmt.Sprintf("=_bench_alt_%016x", rng.Uint64())
			b.WriteString("Content-Type: multipart/alternative; boundary=\"" + inner + "\"\n\n")
			p.alternative(&b, inner)
		} else {
			p.textPart(&b, false, lognormal(rng, 900, 0.8, 80, 20000))
		}
		switch m.Kind {
		case Forward:
			b.WriteString("\n--" + boundary + "\n")
			p.forwarded(&b)
		case Big:
			b.WriteString("\n--" + boundary + "\n")
			raw := max(p.bigSize-b.Len()-400, 1024) * 57 / 77
			p.attachment(&b, "application/octet-stream", fmt.Sprintf("backup-%d.tar.gz", m.UID), raw)
		default:
			for k := 1 + rng.IntN(3); k > 0; k-- {
				b.WriteString("\n--" + boundary + "\n")
				typ, name := attachmentType(rng, m.UID)
				p.attachment(&b, typ, name, lognormal(rng, 60<<10, 1.2, 2<<10, 6<<20))
			}
		}
		b.WriteString("\n--" + boundary + "--\n")
	}
	return b.Bytes()
}

func (p *plan) headers(b *bytes.Buffer) {
	m := &p.meta
	rng := p.rng
	fmt.Fprintf(b, "Return-Path: <%s>\n", m.From.Addr)
	hops := 1 + rng.IntN(3)
	for k := 0; k < hops; k++ {
		at := m.Date.Add(time.Duration(hops-k) * time.Second)
		fmt.Fprintf(b, "Received: from mx%d.%s (mx%d.%s [192.0.2.%d])\n\tby mail.example.org (Postfix) with ESMTPS id %X\n\tfor <%s>; %s\n",
			k+1, domainOf(m.From.Addr), k+1, domainOf(m.From.Addr), 1+rng.IntN(254), rng.Uint32(), Recipient.Addr, at.Format(time.RFC1123Z))
	}
	if rng.Float64() < 0.4 {
		fmt.Fprintf(b, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=sel%d;\n\th=from:to:subject:date:message-id:mime-version;\n\tbh=%s;\n\tb=",
			domainOf(m.From.Addr), rng.IntN(3), randBase64(rng, 32))
		sig := randBase64(rng, 256)
		for len(sig) > 70 {
			b.WriteString(sig[:70] + "\n\t  ")
			sig = sig[70:]
		}
		b.WriteString(sig + "\n")
	}
	fmt.Fprintf(b, "Date: %s\n", m.Date.Format(time.RFC1123Z))
	fmt.Fprintf(b, "From: %s\n", m.From)
	to := Recipient.String()
	if rng.Float64() < 0.3 {
		to += ", " + sender(rng).String()
	}
	fmt.Fprintf(b, "To: %s\n", to)
	if rng.Float64() < 0.2 {
		cc := sender(rng).String()
		for k := rng.IntN(3); k > 0; k-- {
			cc += ",\n    " + sender(rng).String()
		}
		fmt.Fprintf(b, "Cc: %s\n", cc)
	}
	if m.ASCII {
		fmt.Fprintf(b, "Subject: %s\n", m.Subject)
	} else {
		fmt.Fprintf(b, "Subject: %s\n", mime.BEncoding.Encode("UTF-8", m.Subject))
	}
	fmt.Fprintf(b, "Message-ID: <%016x.%d@%s>\n", rng.Uint64(), m.UID, domainOf(m.From.Addr))
	if strings.HasPrefix(m.Subject, "Re: ") {
		fmt.Fprintf(b, "In-Reply-To: <%016x@example.org>\nReferences: <%016x@example.org>\n", rng.Uint64(), rng.Uint64())
	}
	if rng.Float64() < 0.3 {
		b.WriteString([]string{"X-Mailer: Apple Mail (2.3774)\n", "User-Agent: Mozilla Thunderbird\n", "X-Mailer: Microsoft Outlook 16.0\n"}[rng.IntN(3)])
	}
	b.WriteString("MIME-Version: 1.0\n")
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}

// alternative writes the parts of a multipart/alternative and its closing
// boundary.
func (p *plan) alternative(b *bytes.Buffer, boundary string) {
	size := lognormal(p.rng, 2500, 0.9, 200, 60000)
	seed := p.rng.Uint64()
	b.WriteString("\n--" + boundary + "\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")
	writeLines(b, p.paragraphs(seed, size, true), false)
	b.WriteString("\n--" + boundary + "\n")
	b.WriteString("Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")
	writeLines(b, p.paragraphs(seed, size, true), true)
	b.WriteString("\n--" + boundary + "--\n")
}

// textPart writes a text/plain part, with its header when it is the whole
// message (top) or a body part.
func (p *plan) textPart(b *bytes.Buffer, top bool, size int) {
	utf8 := p.rng.Float64() < 0.2
	seed := p.rng.Uint64()
	if utf8 {
		b.WriteString("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n")
	} else if top {
		b.WriteString("Content-Type: text/plain; charset=us-ascii; format=flowed\nContent-Transfer-Encoding: 7bit\n")
	} else {
		b.WriteString("Content-Type: text/plain; charset=us-ascii\n")
	}
	b.WriteString("\n")
	writeLines(b, p.paragraphs(seed, size, utf8), false)
}

func (p *plan) forwarded(b *bytes.Buffer) {
	rng := p.rng
	b.WriteString("Content-Type: message/rfc822\nContent-Disposition: inline\n\n")
	from := sender(rng)
	subj, _ := subject(rng)
	fmt.Fprintf(b, "Date: %s\nFrom: %s\nTo: %s\nSubject: %s\nMessage-ID: <%016x@%s>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n",
		p.meta.Date.Add(-72*time.Hour).Format(time.RFC1123Z), from, sender(rng), subj, rng.Uint64(), domainOf(from.Addr))
	q := &plan{rng: rand.New(rand.NewPCG(rng.Uint64(), 1))}
	writeLines(b, q.paragraphs(rng.Uint64(), lognormal(rng, 1200, 0.7, 100, 10000), false), false)
}

func attachmentType(rng *rand.Rand, uid uint32) (string, string) {
	switch rng.IntN(5) {
	case 0:
		return "application/pdf", fmt.Sprintf("report-%d.pdf", uid)
	case 1:
		return "image/jpeg", fmt.Sprintf("IMG_%04d.jpg", rng.IntN(10000))
	case 2:
		return "image/png", fmt.Sprintf("screenshot-%d.png", uid)
	case 3:
		return "application/zip", fmt.Sprintf("archive-%d.zip", uid)
	default:
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document", fmt.Sprintf("letter-%d.docx", uid)
	}
}

// attachment writes a base64 body part of raw random bytes.
func (p *plan) attachment(b *bytes.Buffer, typ, name string, raw int) {
	fmt.Fprintf(b, "Content-Type: %s; name=\"%s\"\nContent-Disposition: attachment; filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n", typ, name, name)
	data := make([]byte, (raw+7)/8*8)
	for k := 0; k < len(data); k += 8 {
		binary.LittleEndian.PutUint64(data[k:], p.rng.Uint64())
	}
	data = data[:raw]
	enc := make([]byte, base64.StdEncoding.EncodedLen(len(data)))
	base64.StdEncoding.Encode(enc, data)
	b.Grow(len(enc) + len(enc)/76 + 1)
	for len(enc) > 76 {
		b.Write(enc[:76])
		b.WriteByte('\n')
		enc = enc[76:]
	}
	b.Write(enc)
	b.WriteByte('\n')
}

func randBase64(rng *rand.Rand, n int) string {
	raw := make([]byte, n)
	for k := range raw {
		raw[k] = byte(rng.Uint32())
	}
	return base64.StdEncoding.EncodeToString(raw)
}
