package gateway

import (
	"strings"
	"testing"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/tlsmgr"
)

// parseText parses a configuration for a test.
func parseText(t *testing.T, text string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(text), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReloadMixTakesNoCleartextNeitherFileDid: a reload used to apply a
// listener's allow-plaintext at once but keep its tls-mode until a
// restart. Before the edit the listener offered STARTTLS and refused
// LOGIN before it (tls-mode "ondemand", allow-plaintext false); the new
// file makes it implicit TLS (tls-mode "connection"), where
// allow-plaintext = true changes nothing because no byte is ever in the
// clear. Neither file takes a password in the clear, so the state the
// reload puts in force must not either: allow-plaintext waits with
// tls-mode.
func TestReloadMixTakesNoCleartextNeitherFileDid(t *testing.T) {
	old := parseText(t, "[[server]]\naddress = \"192.0.2.10:38143\"\ntls-mode = \"ondemand\"\n")
	next := parseText(t, "[[server]]\naddress = \"192.0.2.10:38143\"\ntls-mode = \"connection\"\nallow-plaintext = true\n")
	if old.Servers[0].PlaintextAuthAllowed() {
		t.Fatal("the old file already allowed cleartext logins")
	}
	if next.Servers[0].TLSMode != tlsmgr.ModeConnection {
		t.Fatalf("new tls-mode %v", next.Servers[0].TLSMode)
	}
	restart := runningServers(old, next)
	t.Logf("named as waiting for a restart: %v", restart)
	if err := next.Validate(); err != nil {
		t.Logf("the mix is refused by the check: %v", err)
		return
	}
	s := next.Servers[0]
	if s.TLSMode != tlsmgr.ModeConnection && s.PlaintextAuthAllowed() {
		t.Errorf("after the reload the listener runs tls-mode %v with cleartext LOGIN allowed; neither the old file nor the new one allowed a password before TLS", s.TLSMode)
	}
}

// TestReloadRefusesAMixLooserThanBoth: a listener's TLS keys wait for a
// restart while [auth] mechanisms and login-disabled apply at once. The
// mix must let in no login that neither file lets in; when it would,
// noLooserThanBoth names the listener and the reload is refused.
func TestReloadRefusesAMixLooserThanBoth(t *testing.T) {
	const pair = "certificate-file = \"/etc/c.pem\"\nkey-file = \"/etc/k.pem\"\n"
	for _, tc := range []struct {
		name, old, next string
		want            string // in the error; "" for none
	}{
		{name: "allow-plaintext waits with tls-mode",
			old:  "[[server]]\naddress = \"192.0.2.10:143\"\ntls-mode = \"ondemand\"\n",
			next: "[[server]]\naddress = \"192.0.2.10:143\"\ntls-mode = \"connection\"\nallow-plaintext = true\n"},
		{name: "cleartext allowed before and after",
			old:  "[[server]]\naddress = \"192.0.2.10:143\"\nallow-plaintext = true\n",
			next: "login-disabled = true\n[[server]]\naddress = \"192.0.2.10:143\"\nallow-plaintext = true\n"},
		{name: "old listener with new login keys",
			old: "login-disabled = true\n[auth]\nmechanisms = [\"SCRAM-SHA-256\"]\n" +
				"[[server]]\naddress = \"192.0.2.10:143\"\ntls-mode = \"ondemand\"\nallow-plaintext = true\n",
			next: "[[server]]\naddress = \"192.0.2.10:143\"\ntls-mode = \"required\"\n",
			want: "192.0.2.10:143: until a restart it would take passwords before TLS"},
		{name: "a removed listener under new login keys",
			old: "login-disabled = true\n[auth]\nmechanisms = [\"SCRAM-SHA-256\"]\n" +
				"[[server]]\naddress = \"127.0.0.1:143\"\n[[server]]\naddress = \"192.0.2.10:143\"\nallow-plaintext = true\n",
			next: "[[server]]\naddress = \"127.0.0.1:143\"\n",
			want: "192.0.2.10:143: until a restart it would take passwords before TLS"},
		{name: "EXTERNAL added beside a ca-file that waits",
			old: "[tls]\nca-file = \"/etc/ca-b.pem\"\n" +
				"[[server]]\naddress = \"192.0.2.10:993\"\ntls-mode = \"connection\"\n" + pair + "ca-file = \"/etc/ca-a.pem\"\n",
			next: "[tls]\nca-file = \"/etc/ca-b.pem\"\n[auth]\nmechanisms = [\"PLAIN\", \"EXTERNAL\"]\n" +
				"[[server]]\naddress = \"192.0.2.10:993\"\ntls-mode = \"connection\"\n" + pair,
			want: "EXTERNAL would log in the client certificates of /etc/ca-a.pem"},
		{name: "EXTERNAL with the same authorities",
			old: "[tls]\nca-file = \"/etc/ca-b.pem\"\n[auth]\nmechanisms = [\"EXTERNAL\"]\n" +
				"[[server]]\naddress = \"192.0.2.10:993\"\ntls-mode = \"connection\"\n",
			next: "[tls]\nca-file = \"/etc/ca-b.pem\"\n[auth]\nmechanisms = [\"EXTERNAL\"]\n" +
				"[[server]]\naddress = \"192.0.2.10:993\"\ntls-mode = \"connection\"\n" + pair},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, next := parseText(t, tc.old), parseText(t, tc.next)
			mix := *next
			for _, k := range restartKeys {
				k.set(&mix, old)
			}
			runningServers(old, &mix)
			err := noLooserThanBoth(old, next, &mix)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v; want one saying %q", err, tc.want)
			}
		})
	}
}
