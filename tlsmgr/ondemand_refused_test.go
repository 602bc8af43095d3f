package tlsmgr

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// A client over on-demand-per-address is refused
// under the gate's lock at no storage cost: before 7ac9294 the storage
// was listed (kept) only for a decision that passed every cheaper limit.
// Now decide calls stored, which lists the certificates and checks each
// recent grant's file, before any limit is looked at: every handshake
// with a new made-up name from a client already refused makes the
// daemon list the ACME storage (a remote one, for a cluster), a storage
// read amplified by the attacker's handshake rate.
func TestOnDemandRefusedClientReadsNoStorage(t *testing.T) {
	now := time.Now()
	var lists, exists atomic.Int32
	g := bareGate(OnDemandLimits{PerAddress: 1}, &now)
	g.kept = func(context.Context) int { lists.Add(1); return 0 }
	g.held = func(context.Context, string) bool { exists.Add(1); return false }
	client := helloFrom("192.0.2.1:40000")
	if err := g.decide(client, "first.example.org"); err != nil {
		t.Fatal(err)
	}
	lists.Store(0)
	exists.Store(0)
	const refused = 50
	for i := range refused {
		if err := g.decide(client, fmt.Sprintf("made-up-%d.example.org", i)); err == nil {
			t.Fatalf("name %d was granted past on-demand-per-address 1", i)
		}
	}
	// One Exists per decision (is the name itself stored?) is the cost
	// it always had; the listing and the Exists of earlier grants are new.
	if n := lists.Load(); n != 0 {
		t.Errorf("%d refused handshakes listed the storage %d times; want 0", refused, n)
	}
	if n := exists.Load(); n > refused {
		t.Errorf("%d refused handshakes made %d storage lookups; want at most %d", refused, n, refused)
	}
}
