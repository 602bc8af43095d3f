package message

import (
	"strings"
	"testing"
	"time"
)

// TestPathological feeds large hostile inputs and checks that each is
// handled in time: work must stay about linear in the input.
func TestPathological(t *testing.T) {
	const n = 1 << 18
	inputs := map[string]string{
		"many boundaries":     "Content-Type: multipart/mixed; boundary=a\r\n\r\n" + strings.Repeat("--a\r\n", n/5),
		"short boundary":      "Content-Type: multipart/mixed; boundary=a\r\n\r\n" + strings.Repeat("--a-", n/4),
		"deep multiparts":     strings.Repeat("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n", 2000),
		"deep messages":       strings.Repeat("Content-Type: message/rfc822\r\n\r\n", 5000),
		"long header":         "Subject: " + strings.Repeat("x", n) + "\r\n\r\n",
		"many folds":          "Subject: x" + strings.Repeat("\r\n y", n/4) + "\r\n\r\n",
		"many fields":         strings.Repeat("X: y\r\n", n/6) + "\r\n",
		"address parens":      "From: " + strings.Repeat("(", n) + "\r\n\r\n",
		"address specials":    "To: " + strings.Repeat("<@,;:.", n/6) + "\r\n\r\n",
		"address groups":      "To: " + strings.Repeat("g:", n/2) + "\r\n\r\n",
		"address quotes":      "To: " + strings.Repeat("\"a\\", n/3) + "\r\n\r\n",
		"content-type parens": "Content-Type: text/plain; " + strings.Repeat("(;", n/2) + "\r\n\r\n",
		"content-type params": "Content-Type: text/plain" + strings.Repeat("; a=b", n/5) + "\r\n\r\n",
		"encoded words":       "Subject: " + strings.Repeat("=?utf-8?q?a?= ", n/14) + "\r\n\r\n",
		"encoded word starts": "Subject: " + strings.Repeat("=?", n/2) + "\r\n\r\n",
		"encoded word parts":  "Subject: " + strings.Repeat("=?a?q?", n/6) + "\r\n\r\n",
		"q underscores":       "Subject: =?utf-8?q?" + strings.Repeat("_", n) + "=41?=\r\n\r\n",
		"no newline":          strings.Repeat("x", n),
		"bare newlines":       strings.Repeat("\n", n),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			msg := []byte(in)
			start := time.Now()
			root := Parse(msg)
			root.AppendBodyStructure(nil, true)
			AppendEnvelope(nil, root.Header())
			Section(msg, root, "1.1.1.1.1.1.1.1.1.1")
			Section(msg, root, "HEADER.FIELDS (SUBJECT)")
			SearchText(msg, root, true)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
