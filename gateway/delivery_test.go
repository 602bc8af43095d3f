package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
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

// A delivery process that wrote a result, then got stuck (its storage
// closing, say) and was killed at the timeout, had stored that message:
// its result stands, so that the MTA hears 250 and does not deliver it
// again; the messages after it have none. One killed before it wrote any
// result stored nothing; one that reported a failure failed. Its output
// is kept up to a bound.
func TestAwaitDelivery(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		wantUIDs     []uint32
		wantErr      bool
	}{
		{"answered", `echo '{"uid":7}'; echo '{"uid":8}'`, []uint32{7, 8}, false},
		{"answered one, then stuck", `echo '{"uid":8}'; exec sleep 60`, []uint32{8}, true},
		{"stuck before answering", `exec sleep 60`, nil, true},
		{"failed, then stuck", `echo '{"kind":"overquota","text":"full"}'; exec sleep 60`, []uint32{0}, true},
		{"garbage", `echo garbage`, nil, true},
		{"cut short", `printf '{"uid":5}\n{"ui'`, []uint32{5}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("/bin/sh", "-c", tc.script)
			out := &cappedBuffer{max: maxDeliveryOutput}
			cmd.Stdout = out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			res, werr := awaitDelivery(context.Background(), cmd, out, 2*time.Second)
			if len(res) != len(tc.wantUIDs) || (werr != nil) != tc.wantErr {
				t.Fatalf("results %+v, err %v; want %d results, an error %v", res, werr, len(tc.wantUIDs), tc.wantErr)
			}
			for i, uid := range tc.wantUIDs {
				if res[i].UID != uid {
					t.Errorf("result %d: UID %d, want %d", i, res[i].UID, uid)
				}
			}
			if tc.name == "failed, then stuck" && !errors.Is(res[0].err(), storage.ErrOverQuota) {
				t.Errorf("the reported failure came back as %v", res[0].err())
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
		res, _ := awaitDelivery(context.Background(), cmd, out, time.Minute)
		if len(res) != 1 || res[0].UID != 9 {
			t.Fatalf("results %+v", res)
		}
		if len(out.String()) != maxDeliveryOutput || out.dropped != int64(len(`{"uid":9}`)+1+1000000-maxDeliveryOutput) {
			t.Errorf("kept %d bytes, dropped %d", len(out.String()), out.dropped)
		}
	})
}

// Messages framed by the daemon come out one by one in the delivery
// process, whatever their size, empty ones too; a message the process
// refuses is read past.
func TestFraming(t *testing.T) {
	msgs := []string{"", "a", strings.Repeat("x", 100000), "Subject: s\r\n\r\nbody\r\n"}
	var readers []io.Reader
	for _, m := range msgs {
		readers = append(readers, strings.NewReader(m))
	}
	in := bufio.NewReader(iotest.OneByteReader(&framer{msgs: readers}))
	for i, want := range msgs {
		if i == 2 {
			// Refused: read past it without reading it.
			if _, err := io.Copy(io.Discard, &unframer{r: in}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := io.ReadAll(&unframer{r: in})
		if err != nil || string(got) != want {
			t.Fatalf("message %d: %q, %v; want %q", i, got, err, want)
		}
	}
	if _, err := in.ReadByte(); err != io.EOF {
		t.Errorf("after the last message: %v, want EOF", err)
	}
	for _, bad := range []string{"", "5\nab", "zz\n", "-1\n", "fffffffff\nx"} {
		if _, err := io.ReadAll(&unframer{r: bufio.NewReader(strings.NewReader(bad))}); err == nil {
			t.Errorf("%q read as a whole message", bad)
		}
	}
}

// FuzzUnframer: any stdin reads as messages or an error, never a panic
// or a hang.
func FuzzUnframer(f *testing.F) {
	f.Add([]byte("3\nabc0\n0\n"))
	f.Add([]byte("fffff\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bufio.NewReader(bytes.NewReader(data))
		for range 10 {
			if _, err := io.Copy(io.Discard, &unframer{r: in}); err != nil {
				return
			}
		}
	})
}
