package gateway

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// SessionBook lists the live sessions of a gateway, whichever listener
// took them and wherever they run: "mailgate who" and "kick", the
// metrics, and the shutdown read it. A frontend opens an entry as a
// session begins (the IMAP frontend through its imap.Observer) and keeps
// it up to date; a session that continues in a session process keeps its
// entry in the daemon, whose part of the session lives as long as the
// process does, and InProcess records the process.
//
// Safe for concurrent use.
type SessionBook struct {
	mu   sync.Mutex
	byID map[uint64]*BookEntry
}

// SessionRecord is what the book tells of one session.
type SessionRecord struct {
	ID       uint64    // the session's number in the logs (conn=)
	Frontend string    // "imap", or a registered frontend's name
	Remote   string    // the client's address
	User     string    // "" until the user is known
	Mailbox  string    // the selected mailbox, or ""
	PID      int       // the session process serving it, or 0 for the daemon
	Since    time.Time // when the session began
}

// State is the session's state for the metrics: "login" (not logged in
// yet), "authenticated" or "selected".
func (r SessionRecord) State() string {
	switch {
	case r.User == "":
		return "login"
	case r.Mailbox != "":
		return "selected"
	}
	return "authenticated"
}

// BookEntry is one session's line in a SessionBook.
type BookEntry struct {
	book *SessionBook
	rec  SessionRecord // guarded by book.mu
	kick func(reason string)
}

func newSessionBook() *SessionBook {
	return &SessionBook{byID: map[uint64]*BookEntry{}}
}

// Open enters a session that begins. kick, when not nil, ends it from
// any goroutine, telling the client reason.
func (b *SessionBook) Open(id uint64, frontend, remote string, kick func(reason string)) *BookEntry {
	e := &BookEntry{book: b, kick: kick, rec: SessionRecord{
		ID: id, Frontend: frontend, Remote: remote, Since: time.Now(),
	}}
	b.mu.Lock()
	b.byID[id] = e
	b.mu.Unlock()
	return e
}

// Lookup returns the entry of session id, or nil.
func (b *SessionBook) Lookup(id uint64) *BookEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byID[id]
}

// LoggedIn records the session's user.
func (e *BookEntry) LoggedIn(user string) { e.set(func(r *SessionRecord) { r.User = user }) }

// Selected records the session's selected mailbox; "" when none.
func (e *BookEntry) Selected(mailbox string) {
	mailbox = cutName(mailbox) // a session process's word
	e.set(func(r *SessionRecord) { r.Mailbox = mailbox })
}

// InProcess records that the session continues in session process pid.
func (e *BookEntry) InProcess(pid int) { e.set(func(r *SessionRecord) { r.PID = pid }) }

// Close removes the session from the book, once it has ended.
func (e *BookEntry) Close() {
	e.book.mu.Lock()
	if e.book.byID[e.rec.ID] == e {
		delete(e.book.byID, e.rec.ID)
	}
	e.book.mu.Unlock()
}

// Record returns what the book holds of the session now.
func (e *BookEntry) Record() SessionRecord {
	e.book.mu.Lock()
	defer e.book.mu.Unlock()
	return e.rec
}

func (e *BookEntry) set(f func(*SessionRecord)) {
	e.book.mu.Lock()
	f(&e.rec)
	e.book.mu.Unlock()
}

// List returns every live session, oldest first.
func (b *SessionBook) List() []SessionRecord {
	b.mu.Lock()
	out := make([]SessionRecord, 0, len(b.byID))
	for _, e := range b.byID {
		out = append(out, e.rec)
	}
	b.mu.Unlock()
	slices.SortFunc(out, byID)
	return out
}

// Kick ends every session that target names, telling each client
// reason, and returns them. target is a client IP address (every session
// from it), or a user name (every session of that user).
func (b *SessionBook) Kick(target, reason string) []SessionRecord {
	addr, err := netip.ParseAddr(target)
	byAddr := err == nil
	var kicked []SessionRecord
	var kicks []func(string)
	b.mu.Lock()
	for _, e := range b.byID {
		r := e.rec
		hit := r.User != "" && r.User == target
		if byAddr {
			hit = remoteIP(r.Remote) == addr.Unmap()
		}
		if hit && e.kick != nil {
			kicked = append(kicked, r)
			kicks = append(kicks, e.kick)
		}
	}
	b.mu.Unlock()
	for _, k := range kicks {
		k(reason)
	}
	slices.SortFunc(kicked, byID)
	return kicked
}

func byID(x, y SessionRecord) int { return cmp.Compare(x.ID, y.ID) }

// remoteIP is the IP address of a "host:port" remote address, or the
// zero Addr.
func remoteIP(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
