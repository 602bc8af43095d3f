package main_test

// The Prometheus endpoint ([metrics] listen) scraped by real HTTP
// clients while sessions run (issue 11, sections 6 and 7).

import (
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape fetches the metrics with net/http and returns the value of each
// sample, by its name and labels as the text format writes them.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %v, %s\n%s", err, resp.Status, body)
	}
	out := map[string]float64{}
	for _, l := range strings.Split(string(body), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", l, err)
		}
		out[l[:i]] = v
	}
	return out
}

// TestMetricsEndpoint: counters and gauges move as an IMAP session and an
// LMTP delivery run; command names a client makes up are folded into
// "other"; curl reads the same endpoint.
func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	maddr := freeAddr(t)
	ld := startLMTPDaemon(t, false, "[metrics]\nlisten = \""+maddr+"\"\n", "")
	d := ld.daemon
	var before map[string]float64
	for i := 0; ; i++ { // the endpoint opens after the IMAP listener
		c := &http.Client{Timeout: time.Second}
		if resp, err := c.Get("http://" + maddr + "/metrics"); err == nil {
			resp.Body.Close()
			before = scrape(t, maddr)
			break
		} else if i == 100 {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, name := range []string{`mailgate_logins_total{frontend="imap",result="ok"}`, `mailgate_sessions{frontend="imap",state="selected"}`, `mailgate_bytes_total{direction="in"}`, `mailgate_login_blocks`, `mailgate_storage_rescans_total`} {
		if v, ok := before[name]; !ok || v != 0 {
			t.Errorf("%s before any session: %v, %v; want 0", name, v, ok)
		}
	}

	c := greeted(t, d.addr)
	if l := c.cmd("x", "LOGIN mailgate wrong-password"); !strings.HasPrefix(l[len(l)-1], "x NO") {
		t.Fatalf("wrong password: %q", l)
	}
	c.login("mailgate", d.password)
	c.cmd("s", "SELECT INBOX")
	c.cmd("n", "NOOP")
	c.cmd("b", "XYZZY-MADE-UP") // BAD: an unknown command
	lc := ld.lmtpClient(t)
	if res := deliver(t, lc, []string{"mailgate@localhost"}, lmtpMessage("metrics")); res.Data["mailgate@localhost"] != "250" {
		t.Fatalf("LMTP delivery: %+v", res)
	}

	m := scrape(t, maddr)
	for name, want := range map[string]float64{
		`mailgate_logins_total{frontend="imap",result="ok"}`:                        1,
		`mailgate_logins_total{frontend="imap",result="failed"}`:                    1,
		`mailgate_sessions{frontend="imap",state="selected"}`:                       1,
		`mailgate_commands_total{command="SELECT",frontend="imap",result="OK"}`:     1,
		`mailgate_commands_total{command="NOOP",frontend="imap",result="OK"}`:       1,
		`mailgate_commands_total{command="other",frontend="imap",result="BAD"}`:     1,
		`mailgate_command_duration_seconds_count{command="SELECT",frontend="imap"}`: 1,
		`mailgate_lmtp_deliveries_total{result="delivered"}`:                        1,
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{`mailgate_bytes_total{direction="in"}`, `mailgate_bytes_total{direction="out"}`} {
		if m[name] <= before[name] {
			t.Errorf("%s did not move: %v", name, m[name])
		}
	}
	for name := range m {
		if strings.Contains(name, "XYZZY") {
			t.Errorf("a made-up command got a series of its own: %s", name)
		}
	}

	// curl, the operator's client, reads the same.
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-sS", "--max-time", "10", "http://"+maddr+"/metrics").CombinedOutput()
		if err != nil || !regexp.MustCompile(`(?m)^mailgate_sessions\{frontend="imap",state="selected"\} 1$`).Match(out) {
			t.Errorf("curl: %v\n%s", err, out)
		}
	} else {
		t.Log("curl is not installed; scraped with net/http only")
	}

	c.cmd("z", "LOGOUT")
	deadline := time.Now().Add(5 * time.Second)
	for {
		m = scrape(t, maddr)
		if m[`mailgate_sessions{frontend="imap",state="selected"}`] == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v := m[`mailgate_sessions{frontend="imap",state="selected"}`]; v != 0 {
		t.Errorf("selected sessions after LOGOUT: %v", v)
	}
	d.stop(10 * time.Second)
}
