package lmtp

import (
	"sync"

	"github.com/mailgate/mailgate/storage"
)

// groupCommit joins deliveries into the same mailbox that arrive while
// one is being stored: each delivery receives (stages) its copy on its
// own, in parallel, and waits; one of them, the leader, commits every
// copy waiting as one storage.AppendBatch, under one lock and one sync
// of the directory (maildir) or of the file (mbox), then hands the lead
// to a delivery that arrived meanwhile. One sender pays what it paid
// before; ten concurrent senders share the syncs. Every copy is still
// durable before its recipient hears 250: Commit returns after the sync.
//
// A batch is stored all or none. When a group's commit fails, nothing of
// it was stored, and each copy is tried again alone, so that one
// recipient's failure (a full quota, say) is not the others'.
type groupCommit struct {
	mu     sync.Mutex
	queues map[string]*commitQueue // by user and mailbox
}

// commitQueue is one mailbox's deliveries waiting to be committed.
type commitQueue struct {
	waiting []*pendingCopy
	busy    bool // a leader is committing
}

// pendingCopy is one staged copy and, once committed, its outcome.
type pendingCopy struct {
	batch *storage.AppendBatch // one message, staged
	retry func() (uint32, error)
	wake  chan bool // true: lead the next group; false: done
	uid   uint32
	err   error
}

func newGroupCommit() *groupCommit { return &groupCommit{queues: map[string]*commitQueue{}} }

// commit stores batch, a batch of one message for the mailbox key names,
// with whatever else is waiting for it, and returns the message's UID.
// retry stores the message again on its own, after a group failed.
func (g *groupCommit) commit(key string, batch *storage.AppendBatch, retry func() (uint32, error)) (uint32, error) {
	p := &pendingCopy{batch: batch, retry: retry, wake: make(chan bool, 1)}
	g.mu.Lock()
	q := g.queues[key]
	if q == nil {
		q = &commitQueue{}
		g.queues[key] = q
	}
	q.waiting = append(q.waiting, p)
	lead := !q.busy
	q.busy = true
	g.mu.Unlock()
	if !lead && !<-p.wake {
		return p.uid, p.err
	}
	g.mu.Lock()
	group := q.waiting
	q.waiting = nil
	g.mu.Unlock()
	commitGroup(group)
	g.mu.Lock()
	var next *pendingCopy
	if len(q.waiting) > 0 {
		next = q.waiting[0]
	} else {
		q.busy = false
		delete(g.queues, key)
	}
	g.mu.Unlock()
	if next != nil {
		next.wake <- true
	}
	for _, o := range group {
		if o != p {
			o.wake <- false
		}
	}
	return p.uid, p.err
}

// commitGroup commits the copies of group as one batch, setting each
// one's outcome.
func commitGroup(group []*pendingCopy) {
	first := group[0].batch
	joined := group[:1]
	for _, o := range group[1:] {
		if err := first.Absorb(o.batch); err != nil {
			// Not the same mailbox after all (renamed meanwhile):
			// on its own.
			o.uid, o.err = commitOne(o.batch)
			continue
		}
		joined = append(joined, o)
	}
	_, uids, err := first.Commit()
	switch {
	case err == nil:
		for i, o := range joined {
			if i < len(uids) { // one UID per message
				o.uid = uids[i]
			}
		}
	case len(joined) == 1:
		joined[0].err = err
	default:
		for _, o := range joined {
			o.uid, o.err = o.retry()
		}
	}
}

// commitOne commits a batch of one message.
func commitOne(b *storage.AppendBatch) (uint32, error) {
	_, uids, err := b.Commit()
	if err != nil {
		return 0, err
	}
	return uids[0], nil
}
