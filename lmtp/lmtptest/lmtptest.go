// Package lmtptest helps tests talk to an LMTP server: a go-smtp client
// that runs one transaction and reports every recipient's reply, and a
// real Postfix (Debian's) on a test-only configuration that delivers to
// the server under test.
package lmtptest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// Dial connects an LMTP client to network ("tcp" or "unix") addr and says
// LHLO client.example.org.
func Dial(network, addr string) (*smtp.Client, error) {
	nc, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c := smtp.NewClientLMTP(nc)
	// A test's server answers at once or not at all: a broken one fails
	// the test in a minute rather than hang it.
	c.CommandTimeout, c.SubmissionTimeout = time.Minute, time.Minute
	if err := c.Hello("client.example.org"); err != nil {
		c.Close()
		return nil, fmt.Errorf("LHLO: %w", err)
	}
	return c, nil
}

// Result is what one transaction heard.
type Result struct {
	// Rcpt holds the reply to each RCPT that was refused, as Code
	// formats it ("550 5.1.1").
	Rcpt map[string]string
	// Data holds the reply after the message for each accepted RCPT:
	// "250" or a code such as "452 4.3.1".
	Data map[string]string
}

// Send runs one transaction on c: MAIL FROM from, RCPT TO each of rcpts,
// and when any was accepted, DATA with msg. An error is a failure of the
// session itself (MAIL refused, a broken connection); refusals of
// recipients are in the Result.
func Send(c *smtp.Client, from string, rcpts []string, msg string) (*Result, error) {
	res := &Result{Rcpt: map[string]string{}, Data: map[string]string{}}
	if err := c.Mail(from, nil); err != nil {
		return res, fmt.Errorf("MAIL: %w", err)
	}
	accepted := 0
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				return res, fmt.Errorf("RCPT %s: %w", r, err)
			}
			res.Rcpt[r] = Code(err)
			continue
		}
		accepted++
	}
	if accepted == 0 {
		return res, c.Reset()
	}
	w, err := c.Data()
	if err != nil {
		return res, fmt.Errorf("DATA: %w", err)
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return res, fmt.Errorf("writing the message: %w", err)
	}
	resp, err := w.CloseWithLMTPResponse()
	for r := range resp {
		res.Data[r] = "250"
	}
	var lerr smtp.LMTPDataError
	if errors.As(err, &lerr) {
		for r, e := range lerr {
			res.Data[r] = Code(e)
		}
	} else if err != nil {
		return res, fmt.Errorf("end of DATA: %w", err)
	}
	return res, nil
}

// Code formats an SMTP error as "550 5.1.1"; any other error as its text.
func Code(err error) string {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return fmt.Sprint(err)
	}
	return fmt.Sprintf("%d %d.%d.%d", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
}

// WholeMessage is a message of about 40 KiB, large enough that a kill
// often lands while it is written, whose every body line names it
// (subject), so that a partial or mixed copy shows.
func WholeMessage(subject string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: s@example.net\r\nSubject: %s\r\n\r\n", subject)
	for i := range 800 {
		fmt.Fprintf(&b, "%s line %03d of a message that must arrive whole\r\n", subject, i)
	}
	return b.String()
}
