package main_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// curlIMAP returns the curl binary or skips the test when curl is missing
// or was built without IMAP.
func curlIMAP(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("curl")
	if err != nil {
		needs.Missing(t, "curl is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p, "-V").Output()
	if err != nil {
		t.Skipf("curl -V: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Protocols:") {
			for _, f := range strings.Fields(line)[1:] {
				if f == "imap" {
					return p
				}
			}
		}
	}
	t.Skip("curl lacks the imap protocol")
	return ""
}

// curl runs curl with a user and password (given in a config on stdin, so
// that it is not on the command line) and returns its output.
func curl(t *testing.T, bin, user, password string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args = append([]string{"-s", "-S", "--max-time", "8", "-K", "-"}, args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(fmt.Sprintf("user = %q\n", user+":"+password))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("curl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), err
}

// TestCurl lists, examines, fetches and appends with curl's IMAP client.
func TestCurl(t *testing.T) {
	t.Parallel()
	bin := curlIMAP(t)
	d := startDaemon(t, "", "")
	base := "imap://" + d.addr

	// Put a message in through curl's upload (APPEND).
	msg := "From: Curl <curl@example.org>\r\nTo: mailgate@example.org\r\nSubject: hello curl\r\n\r\nBody line from curl.\r\n"
	up := t.TempDir() + "/msg.eml"
	if err := writeFile(up, msg); err != nil {
		t.Fatal(err)
	}
	if out, err := curl(t, bin, "mailgate", d.password, "--url", base+"/INBOX", "-T", up); err != nil {
		t.Fatalf("upload: %v\n%s", err, out)
	}

	// The mailbox list.
	out, err := curl(t, bin, "mailgate", d.password, "--url", base+"/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "* LIST") || !strings.Contains(out, "INBOX") {
		t.Errorf("listing %s/ gave %q, want a LIST of INBOX", base, out)
	}

	// EXAMINE as a custom request.
	out, err = curl(t, bin, "mailgate", d.password, "--url", base+"/", "-X", "EXAMINE INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"* 1 EXISTS", "UIDVALIDITY", "UIDNEXT 2", "* FLAGS ("} {
		if !strings.Contains(out, want) {
			t.Errorf("EXAMINE INBOX: no %q in\n%s", want, out)
		}
	}

	// A mailbox URL with a search.
	out, err = curl(t, bin, "mailgate", d.password, "--url", base+"/INBOX?SUBJECT%20curl")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "* SEARCH 1" {
		t.Errorf("SEARCH SUBJECT curl: %q, want \"* SEARCH 1\"", out)
	}

	// The message by UID.
	out, err = curl(t, bin, "mailgate", d.password, "--url", base+"/INBOX;UID=1")
	if err != nil {
		t.Fatal(err)
	}
	if out != msg {
		t.Errorf("fetching INBOX;UID=1 gave %q, want %q", out, msg)
	}
	// A section of it.
	out, err = curl(t, bin, "mailgate", d.password, "--url", base+"/INBOX;UID=1;SECTION=HEADER.FIELDS%20(SUBJECT)")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "Subject: hello curl" {
		t.Errorf("fetching the Subject gave %q", out)
	}

	// A wrong password fails.
	if _, err := curl(t, bin, "mailgate", d.password+"x", "--url", base+"/"); err == nil {
		t.Errorf("curl with a wrong password succeeded")
	}
	d.stop(5 * time.Second)
	checkLog(t, d.stderr.String())
}
