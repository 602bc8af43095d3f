package gateway

import (
	"slices"
	"testing"
	"time"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/tlsmgr"
)

// TestRunningServers: a reload matches [[server]] tables by address.
// Listeners that stay take their new live keys and keep tls-mode and
// certificates (named when changed); added and removed ones are named,
// and the list in force stays in the listeners' order.
func TestRunningServers(t *testing.T) {
	srv := func(addr string, edit ...func(*config.Server)) config.Server {
		s := config.DefaultServer()
		s.Address = addr
		for _, e := range edit {
			e(&s)
		}
		return s
	}
	login := func(d time.Duration) func(*config.Server) { return func(s *config.Server) { s.LoginTimeout = d } }
	mode := func(m tlsmgr.Mode) func(*config.Server) { return func(s *config.Server) { s.TLSMode = m } }
	cert := func(s *config.Server) { s.CertificateFile, s.KeyFile = "/c", "/k" }
	plain := func(s *config.Server) { s.AllowPlaintext = true }
	for _, tc := range []struct {
		name        string
		old, next   []config.Server
		want        []config.Server
		wantRestart []string
	}{
		{name: "nothing changes",
			old: []config.Server{srv("a:1"), srv("b:2")}, next: []config.Server{srv("a:1"), srv("b:2")},
			want: []config.Server{srv("a:1"), srv("b:2")}},
		{name: "a live key changes",
			old: []config.Server{srv("a:1")}, next: []config.Server{srv("a:1", login(time.Second))},
			want: []config.Server{srv("a:1", login(time.Second))}},
		{name: "a listener is added beside a live change",
			old: []config.Server{srv("a:1")}, next: []config.Server{srv("c:3"), srv("a:1", login(time.Second))},
			want:        []config.Server{srv("a:1", login(time.Second))},
			wantRestart: []string{"[[server]] tables (c:3 added)"}},
		{name: "a listener is removed",
			old: []config.Server{srv("a:1", login(time.Minute)), srv("b:2")}, next: []config.Server{srv("b:2", login(time.Second))},
			want:        []config.Server{srv("a:1", login(time.Minute)), srv("b:2", login(time.Second))},
			wantRestart: []string{"[[server]] tables (a:1 removed; it listens as it was until a restart)"}},
		{name: "reordered",
			old: []config.Server{srv("a:1"), srv("b:2")}, next: []config.Server{srv("b:2", login(time.Second)), srv("a:1")},
			want: []config.Server{srv("a:1"), srv("b:2", login(time.Second))}},
		{name: "the same address twice, matched in turn",
			old: []config.Server{srv("x:0"), srv("x:0", login(time.Minute))}, next: []config.Server{srv("x:0", login(time.Second)), srv("x:0", login(2*time.Second))},
			want: []config.Server{srv("x:0", login(time.Second)), srv("x:0", login(2*time.Second))}},
		{name: "tls-mode and certificates wait",
			old: []config.Server{srv("a:1")}, next: []config.Server{srv("a:1", mode(tlsmgr.ModeConnection), cert, login(time.Second))},
			want:        []config.Server{srv("a:1", login(time.Second))},
			wantRestart: []string{"[[server]] a:1 tls-mode", "[[server]] a:1 certificate-file, key-file or ca-file"}},
		{name: "allow-plaintext applies when the TLS keys stay",
			old: []config.Server{srv("a:1")}, next: []config.Server{srv("a:1", plain)},
			want: []config.Server{srv("a:1", plain)}},
		{name: "allow-plaintext waits with tls-mode",
			old: []config.Server{srv("a:1", mode(tlsmgr.ModeOnDemand))}, next: []config.Server{srv("a:1", mode(tlsmgr.ModeConnection), plain)},
			want: []config.Server{srv("a:1", mode(tlsmgr.ModeOnDemand))},
			wantRestart: []string{"[[server]] a:1 tls-mode",
				"[[server]] a:1 allow-plaintext (it waits with the listener's TLS keys)"}},
		{name: "allow-plaintext waits with the certificates",
			old: []config.Server{srv("a:1", plain)}, next: []config.Server{srv("a:1", cert)},
			want: []config.Server{srv("a:1", plain)},
			wantRestart: []string{"[[server]] a:1 certificate-file, key-file or ca-file",
				"[[server]] a:1 allow-plaintext (it waits with the listener's TLS keys)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, next := &config.Config{Servers: tc.old}, &config.Config{Servers: slices.Clone(tc.next)}
			restart := runningServers(old, next)
			if !slices.Equal(restart, tc.wantRestart) {
				t.Errorf("restart = %q, want %q", restart, tc.wantRestart)
			}
			if len(next.Servers) != len(tc.want) {
				t.Fatalf("in force: %d servers, want %d", len(next.Servers), len(tc.want))
			}
			for i := range tc.want {
				g, w := next.Servers[i], tc.want[i]
				if g.Address != w.Address || g.LoginTimeout != w.LoginTimeout || g.TLSMode != w.TLSMode || g.CertificateFile != w.CertificateFile ||
					g.AllowPlaintext != w.AllowPlaintext {
					t.Errorf("in force, server %d: %s login-timeout %v tls-mode %s cert %q allow-plaintext %v; want %s %v %s %q %v",
						i, g.Address, g.LoginTimeout, g.TLSMode, g.CertificateFile, g.AllowPlaintext,
						w.Address, w.LoginTimeout, w.TLSMode, w.CertificateFile, w.AllowPlaintext)
				}
			}
		})
	}
}
