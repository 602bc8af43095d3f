package gateway

import (
	"strings"
	"testing"

	"github.com/mailgate/mailgate/config"
)

// TestHandoffKeepsSecrets: the configuration a session process (the
// user's) is told holds none of the daemon's secrets.
func TestHandoffKeepsSecrets(t *testing.T) {
	cfg, err := config.Parse([]byte("[[server]]\naddress = \"127.0.0.1:0\"\n"+
		"[proxy-auth]\nlisten = \"127.0.0.1:9999\"\nsecret = \"proxy-secret\"\n[[proxy-auth.node]]\nname = \"a\"\nimap = \"10.0.0.1:143\"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	g := &Gateway{}
	g.live.Store(&liveState{cfg: cfg})
	msg, err := g.handoffMessage(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.Config, "proxy-secret") {
		t.Error("a session process is told the [proxy-auth] secret")
	}
}
