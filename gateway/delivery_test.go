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

// A session process asks the root daemon to watch a few clean absolute
// paths while it hibernates; anything else is refused (it stays awake).
func TestValidWatch(t *testing.T) {
	many := make([]string, maxHibernateWatch+1)
	for i := range many {
		many[i] = fmt.Sprintf("/home/u/Mail/box%d", i)
	}
	for _, tc := range []struct {
		paths []string
		want  bool
	}{
		{nil, true},
		{[]string{"/home/u/Mail/INBOX"}, true},
		{[]string{"relative/INBOX"}, false},
		{[]string{"/home/u/Mail/../../../etc"}, false},
		{many, false},
	} {
		if got := validWatch(tc.paths); got != tc.want {
			t.Errorf("validWatch(%q) = %v, want %v", tc.paths, got, tc.want)
		}
	}
}
