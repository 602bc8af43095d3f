package gateway

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestRelayLogsPid: the daemon relays a session process's log records
// with the pid it knows, not one the record names (a session process
// taken over by its user could otherwise write lines in the name of
// another process), and a line that is not JSON as an error, quoted.
func TestRelayLogsPid(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		not      []string
	}{
		{"own record", `{"time":"x","level":"WARN","msg":"mbox: slow","path":"/m"}` + "\n",
			[]string{"level=WARN", `msg="mbox: slow"`, "path=/m", "pid=4242"}, nil},
		{"forged pid", `{"level":"INFO","msg":"imap: login","pid":1,"user":"root"}` + "\n",
			[]string{"pid=4242"}, []string{"pid=1 ", "pid=1\n"}},
		{"not JSON", "panic: boom\x1b[2J\n",
			[]string{"level=ERROR", `panic: boom\x1b[2J`, "pid=4242"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			relayLogs(strings.NewReader(tc.in), slog.New(slog.NewTextHandler(&out, nil)), 4242)
			got := out.String()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("relayed %q as %q; want %q in it", tc.in, got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("relayed %q as %q; want no %q", tc.in, got, n)
				}
			}
			if strings.Count(got, "pid=") != 1 {
				t.Errorf("relayed %q as %q: want one pid", tc.in, got)
			}
		})
	}
}
