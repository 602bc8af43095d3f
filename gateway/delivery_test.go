package gateway

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"

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

// A delivery process that wrote its result, then got stuck (its storage
// closing, say) and was killed at the timeout, had stored the message:
// its result stands, so that the MTA hears 250 and does not deliver it
// again. One killed before it wrote any result failed; one that reported
// a failure failed. Its output is kept up to a bound.
func TestAwaitDelivery(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		wantUID      uint32
		wantRes      bool
		wantErr      bool
	}{
		{"answered", `echo '{"uid":7}'`, 7, true, false},
		{"answered, then stuck", `echo '{"uid":8}'; exec sleep 60`, 8, true, true},
		{"stuck before answering", `exec sleep 60`, 0, false, true},
		{"failed, then stuck", `echo '{"kind":"overquota","text":"full"}'; exec sleep 60`, 0, true, true},
		{"no result", `echo garbage`, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("/bin/sh", "-c", tc.script)
			out := &cappedBuffer{max: maxDeliveryOutput}
			cmd.Stdout = out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			res, werr := awaitDelivery(context.Background(), cmd, out, 2*time.Second)
			if (res != nil) != tc.wantRes || (werr != nil) != tc.wantErr {
				t.Fatalf("result %+v, err %v; want a result %v, an error %v", res, werr, tc.wantRes, tc.wantErr)
			}
			if res != nil && res.UID != tc.wantUID {
				t.Errorf("UID %d, want %d", res.UID, tc.wantUID)
			}
			if tc.name == "failed, then stuck" && !errors.Is(res.err(), storage.ErrOverQuota) {
				t.Errorf("the reported failure came back as %v", res.err())
			}
		})
	}
	t.Run("output bounded", func(t *testing.T) {
		cmd := exec.Command("/bin/sh", "-c", `echo '{"uid":9}'; head -c 1000000 /dev/zero`)
		out := &cappedBuffer{max: maxDeliveryOutput}
		cmd.Stdout = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		res, werr := awaitDelivery(context.Background(), cmd, out, time.Minute)
		if werr != nil || res == nil || res.UID != 9 {
			t.Fatalf("result %+v, %v", res, werr)
		}
		if len(out.String()) != maxDeliveryOutput || out.dropped != int64(len(`{"uid":9}`)+1+1000000-maxDeliveryOutput) {
			t.Errorf("kept %d bytes, dropped %d", len(out.String()), out.dropped)
		}
	})
}
