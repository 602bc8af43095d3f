package gateway_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// Two gateways in one process (as an embedder may run) keep metrics of
// their own: a login on one moves its counter, not the other's.
func TestMetricsPerGateway(t *testing.T) {
	one := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n")
	two := startGateway(t, "[[server]]\naddress = \"127.0.0.1:0\"\n")
	c := dial(t, one.addrs[0], "")
	if l := c.cmd("a LOGIN mailgate " + one.password); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("LOGIN: %q", l)
	}
	const ok = `mailgate_logins_total{frontend="imap",result="ok"} `
	for _, tc := range []struct {
		tg   *testGateway
		want string
	}{{one, ok + "1"}, {two, ok + "0"}} {
		srv := httptest.NewServer(tc.tg.g.MetricsHandler())
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if !strings.Contains(string(body), tc.want+"\n") {
			t.Errorf("want %q in:\n%s", tc.want, body)
		}
	}
}
