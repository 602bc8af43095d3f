package main_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailgate/mailgate/internal/needs"
)

// python3 returns the python3 interpreter or skips the test.
func python3(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		needs.Missing(t, "python3 is not installed")
	}
	return p
}

var imaplibSummaryRE = regexp.MustCompile(`(?m)^imaplib\[\w+\]: (\d+) passed, (\d+) failed$`)

// runImaplib runs testdata/imaplib_e2e.py with args and fails the test
// with its output unless every check passed.
func runImaplib(t *testing.T, password string, args ...string) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "imaplib_e2e.py"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python3(t), append([]string{"-u", script}, args...)...)
	cmd.Env = append(os.Environ(), "E2E_PASSWORD="+password, "PYTHONDONTWRITEBYTECODE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Run()
	output := out.String()
	if ctx.Err() != nil {
		t.Fatalf("imaplib_e2e.py timed out:\n%s", output)
	}
	m := imaplibSummaryRE.FindStringSubmatch(output)
	if err != nil || m == nil || m[2] != "0" {
		t.Fatalf("imaplib_e2e.py failed (%v):\n%s", err, output)
	}
	t.Logf("imaplib: %s passed", m[1])
	if testing.Verbose() {
		t.Logf("imaplib output:\n%s", output)
	}
}

// TestImaplibDaemon runs the imaplib script against the daemon over TCP,
// then stops the daemon gracefully.
func TestImaplibDaemon(t *testing.T) {
	t.Parallel()
	python3(t)
	d := startDaemon(t, "", "")
	host, port, _ := net.SplitHostPort(d.addr)
	runImaplib(t, d.password, "--tcp", host, port, "--user", "mailgate", "--inbox", d.cfg.inbox("mailgate"))
	d.stop(5 * time.Second)
	if s := d.stderr.String(); !strings.Contains(s, "mailgate: stopped") {
		t.Errorf("no \"stopped\" log after SIGTERM:\n%s", s)
	}
	checkLog(t, d.stderr.String())
}

// TestImaplibInetd runs the imaplib script with IMAP4_stream on
// "mailgate --config FILE -i", for a user made with "user add".
func TestImaplibInetd(t *testing.T) {
	t.Parallel()
	python3(t)
	cfg := writeConfig(t, "", "", "")
	const user, password = "alice", `s3cret "quoted" \ -pw`
	if r := runMailgate(t, 10*time.Second, password+"\n", "--config", cfg.path, "user", "add", user, "--password-stdin"); r.err != nil || r.code != 0 {
		t.Fatalf("user add: %v, exit %d: %s", r.err, r.code, r.stderr)
	}
	command := shellQuote(mailgateBin) + " --config " + shellQuote(cfg.path) + " -i"
	runImaplib(t, password, "--stream", command, "--user", user, "--inbox", cfg.inbox(user))
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
