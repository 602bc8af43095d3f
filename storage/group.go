package storage

import (
	"errors"
	"fmt"
	"sync"
)

// Group commit of APPENDs: sessions that APPEND to one mailbox at the
// same moment each receive (stage) their messages on their own, in
// parallel, and the first to commit commits every batch waiting as one
// (Absorb): one lock, one batch intent and one sync of the directory
// (maildir) or the file (mbox) for all of them. One client alone pays
// what it paid before; ten share the syncs. Every message is durable
// before its session is answered, as with Commit.

// ErrSharedCommit marks the error of a batch that CommitShared
// committed together with others, and that failed with them.
var ErrSharedCommit = errors.New("committed with other batches")

// commitQueue is one mailbox's batches waiting to be committed.
type commitQueue struct {
	waiting []*sharedCommit
	busy    bool // a leader is committing
}

// sharedCommit is one batch waiting and, once committed, its outcome.
type sharedCommit struct {
	b        *AppendBatch
	wake     chan bool // true: lead the next group; false: done
	validity uint32
	uids     []uint32
	err      error
}

// sharedCommits holds the queues, by mailbox (each open mailbox is one
// *mailbox per Store).
var sharedCommits = struct {
	sync.Mutex
	queues map[*mailbox]*commitQueue
}{queues: make(map[*mailbox]*commitQueue)}

// CommitShared is Commit, joined with the batches that other sessions
// commit into the same mailbox meanwhile. Each batch stays whole (its
// messages get consecutive UIDs). Batches of another user, or that would
// not fit in the quota together, are committed on their own, so that
// nobody's quota fails another's APPEND; a group whose commit fails
// otherwise (a disk error) fails for every batch in it, and none of its
// messages is stored: then the error of each batch that was not alone
// in it is also ErrSharedCommit, and a caller that can read its
// messages again (a delivery agent) may try them on their own.
func (b *AppendBatch) CommitShared() (uidValidity uint32, uids []uint32, err error) {
	p := &sharedCommit{b: b, wake: make(chan bool, 1)}
	sharedCommits.Lock()
	q := sharedCommits.queues[b.mb]
	if q == nil {
		q = &commitQueue{}
		sharedCommits.queues[b.mb] = q
	}
	q.waiting = append(q.waiting, p)
	lead := !q.busy
	q.busy = true
	sharedCommits.Unlock()
	if !lead && !<-p.wake {
		return p.validity, p.uids, p.err
	}
	sharedCommits.Lock()
	group := q.waiting
	q.waiting = nil
	sharedCommits.Unlock()
	commitGroup(group)
	sharedCommits.Lock()
	var next *sharedCommit
	if len(q.waiting) > 0 {
		next = q.waiting[0]
	} else {
		q.busy = false
		delete(sharedCommits.queues, b.mb)
	}
	sharedCommits.Unlock()
	if next != nil {
		next.wake <- true
	}
	for _, o := range group {
		if o != p {
			o.wake <- false
		}
	}
	return p.validity, p.uids, p.err
}

// commitGroup commits the batches of group, joining into the first
// those of its user that fit in the quota with it, and sets each one's
// outcome.
func commitGroup(group []*sharedCommit) {
	lead := group[0].b
	joined, counts := group[:1], []int{lead.Len()}
	var alone []*sharedCommit
	bytes, n := lead.bytes, int64(lead.Len())
	for _, o := range group[1:] {
		ob := o.b
		if ob.a.user.Name != lead.a.user.Name || ob.Len() == 0 ||
			lead.a.CheckQuota(lead.name, bytes+ob.bytes, n+int64(ob.Len())) != nil {
			alone = append(alone, o)
			continue
		}
		count, size := ob.Len(), ob.bytes
		if err := lead.Absorb(ob); err != nil {
			alone = append(alone, o)
			continue
		}
		bytes, n = bytes+size, n+int64(count)
		joined, counts = append(joined, o), append(counts, count)
	}
	validity, uids, err := lead.Commit()
	if err != nil && len(joined) > 1 {
		err = fmt.Errorf("%w: %w", ErrSharedCommit, err)
	}
	for i, o := range joined {
		o.validity, o.err = validity, err
		if err == nil {
			o.uids, uids = uids[:counts[i]:counts[i]], uids[counts[i]:]
		}
	}
	for _, o := range alone {
		o.validity, o.uids, o.err = o.b.Commit()
	}
}
