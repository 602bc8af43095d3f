package lmtp_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSMTPUTF8: SMTPUTF8 (RFC 6531) is offered, since Postfix's LMTP
// client bounces mail whose envelope needs it rather than downgrade it
// (SMTPUTF8_README); the UTF-8 sender and recipient come through intact
// in Return-Path, Delivered-To and the mbox From_ line, and the Received
// line says UTF8LMTP (RFC 6531 3.7.7).
func TestSMTPUTF8(t *testing.T) {
	for _, format := range []string{"maildir", "mbox"} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t, envConfig{format: format})
			r := e.raw()
			r.send("LHLO client.example.org")
			lhlo := strings.Join(r.reply(), "\n")
			if !strings.Contains(lhlo, "SMTPUTF8") {
				t.Errorf("LHLO reply does not offer SMTPUTF8:\n%s", lhlo)
			}
			r.send("MAIL FROM:<j\u00fcrgen@b\u00fccher.example> SMTPUTF8")
			if got := r.reply(); !strings.HasPrefix(got[0], "250") {
				t.Fatalf("MAIL FROM with SMTPUTF8: %q", got)
			}
			r.send("RCPT TO:<alice+f\u00e4cher@example.org>", "DATA")
			r.expect("250", "354")
			r.send("From: J\u00fcrgen <j\u00fcrgen@b\u00fccher.example>", "Subject: utf8", "", "Hallo.", ".")
			r.expect("250")
			got := e.messages("alice", "INBOX")
			if len(got) != 1 {
				t.Fatalf("stored: %q", got)
			}
			for _, want := range []string{
				"Return-Path: <j\u00fcrgen@b\u00fccher.example>\r\nDelivered-To: alice+f\u00e4cher@example.org\r\n",
				" with UTF8LMTP id ",
				"(envelope-from <j\u00fcrgen@b\u00fccher.example>)",
				"From: J\u00fcrgen <j\u00fcrgen@b\u00fccher.example>\r\n",
			} {
				if !strings.Contains(got[0], want) {
					t.Errorf("stored copy lacks %q:\n%s", want, got[0])
				}
			}
			if format != "mbox" {
				return
			}
			b, err := os.ReadFile(filepath.Join(e.root, "alice", "INBOX"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), "From j\u00fcrgen@b\u00fccher.example ") {
				first, _, _ := strings.Cut(string(b), "\n")
				t.Errorf("From_ line %q; want the UTF-8 sender", first)
			}
		})
	}
}
