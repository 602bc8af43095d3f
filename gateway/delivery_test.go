package gateway

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/mailgate/mailgate/storage"
)

// A delivery process's error crosses the process boundary as a kind, and
// comes back as an error that the LMTP frontend answers as it would have
// answered the original: over quota, a full disk, a refused mailbox.
func TestDeliveryKindsRoundTrip(t *testing.T) {
	for _, want := range []error{storage.ErrOverQuota, syscall.EDQUOT, syscall.ENOSPC, storage.ErrNoMailbox,
		storage.ErrBadName, storage.ErrPermission, storage.ErrReadOnly} {
		orig := fmt.Errorf("appending: %w", want)
		res := deliveryResult{Kind: deliveryKind(orig), Text: orig.Error()}
		if got := res.err(); !errors.Is(got, want) {
			t.Errorf("%v came back as %v", want, got)
		}
	}
	res := deliveryResult{Kind: deliveryKind(errors.New("disk on fire")), Text: "disk on fire"}
	if got := res.err(); got == nil || res.Kind != "error" {
		t.Errorf("another error came back as %v (kind %q)", got, res.Kind)
	}
	if got := (&deliveryResult{UID: 7}).err(); got != nil {
		t.Errorf("success came back as %v", got)
	}
}
