package storage_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestCommitShared: APPENDs of several sessions to one mailbox at once,
// each committed with CommitShared, are all stored, each batch with
// consecutive UIDs of its own, in every format.
func TestCommitShared(t *testing.T) {
	for _, f := range appendFormats() {
		t.Run(f.name, func(t *testing.T) {
			a, _, _ := formatAccount(t, f)
			if err := a.Create("box"); err != nil {
				t.Fatal(err)
			}
			const sessions, rounds = 6, 4
			var mu sync.Mutex
			got := map[string]uint32{}
			var wg sync.WaitGroup
			errs := make(chan error, sessions*rounds)
			for s := range sessions {
				wg.Go(func() {
					for r := range rounds {
						b, err := a.BeginAppend("box")
						if err != nil {
							errs <- err
							return
						}
						n := 1 + (s+r)%3 // MULTIAPPENDs of 1 to 3
						for i := range n {
							if err := b.Add(msg(fmt.Sprintf("s%d.r%d.%d", s, r, i)), nil, time.Time{}); err != nil {
								b.Abort()
								errs <- err
								return
							}
						}
						_, uids, err := b.CommitShared()
						if err != nil || len(uids) != n {
							errs <- fmt.Errorf("session %d round %d: %v %v", s, r, uids, err)
							return
						}
						for i := 1; i < n; i++ {
							if uids[i] != uids[0]+uint32(i) {
								errs <- fmt.Errorf("session %d round %d: UIDs %v not consecutive", s, r, uids)
							}
						}
						mu.Lock()
						for i, uid := range uids {
							got[fmt.Sprintf("s%d.r%d.%d", s, r, i)] = uid
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			v, err := a.Select("box", true)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if int(v.Count()) != len(got) {
				t.Fatalf("%d messages stored, %d acknowledged", v.Count(), len(got))
			}
			for subject, uid := range got {
				if want := "Subject: " + subject + "\r\n\r\nbody\r\n"; readMessage(t, v, uid) != want {
					t.Errorf("uid %d does not hold %s", uid, subject)
				}
			}
			uids := slices.Clone(v.UIDs())
			slices.Sort(uids)
			if len(slices.Compact(uids)) != len(got) {
				t.Errorf("UIDs %v repeat", v.UIDs())
			}
		})
	}
}
