package storage

import (
	"errors"
	"slices"
	"strings"
)

// ViewState is what a View's client has been told of its mailbox: the
// UIDs behind its sequence numbers, each message's flags, which messages
// are \Recent to it, and the keywords announced. A session that
// hibernates (its process ends while its client idles, and a new one
// takes over) keeps it, so that the new View tells the client exactly
// what changed meanwhile, in the same sequence numbers. It is small for
// a mailbox whose UIDs run in long ranges, and encodes as JSON.
type ViewState struct {
	UIDValidity uint32 `json:"uidvalidity"`
	UIDs        Ranges `json:"uids"`
	// Flags maps each set of flags, space-separated and sorted, to the
	// messages that carry it; messages without flags are left out.
	Flags     map[string]Ranges `json:"flags,omitempty"`
	Recent    []uint32          `json:"recent,omitempty"`
	Announced []string          `json:"announced,omitempty"`
}

// Ranges is an ascending set of UIDs as closed ranges.
type Ranges [][2]uint32

// rangesOf compacts ascending uids.
func rangesOf(uids []uint32) Ranges {
	var r Ranges
	for _, u := range uids {
		if n := len(r); n > 0 && r[n-1][1]+1 == u {
			r[n-1][1] = u
			continue
		}
		r = append(r, [2]uint32{u, u})
	}
	return r
}

// expand returns the UIDs of r in ascending order.
func (r Ranges) expand() []uint32 {
	out := make([]uint32, 0, r.count())
	for _, x := range r {
		for u := x[0]; ; u++ {
			out = append(out, u)
			if u >= x[1] {
				break
			}
		}
	}
	return out
}

// count returns how many UIDs r holds.
func (r Ranges) count() int {
	n := 0
	for _, x := range r {
		n += int(x[1]-x[0]) + 1
	}
	return n
}

// last returns the highest UID of r, or 0.
func (r Ranges) last() uint32 {
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1][1]
}

// seqOf returns the position of uid in r counted from 1, or 0 when r
// does not hold it.
func (r Ranges) seqOf(uid uint32) uint32 {
	seq := uint32(0)
	for _, x := range r {
		switch {
		case uid < x[0]:
			return 0
		case uid <= x[1]:
			return seq + uid - x[0] + 1
		}
		seq += x[1] - x[0] + 1
	}
	return 0
}

// countBelow returns how many UIDs of r are below uid (a uint64, so
// that the caller may ask for one above the highest UID).
func (r Ranges) countBelow(uid uint64) uint32 {
	n := uint32(0)
	for _, x := range r {
		if uid <= uint64(x[0]) {
			break
		}
		n += uint32(min(uid-1, uint64(x[1])) - uint64(x[0]) + 1)
	}
	return n
}

// uidsAt sets out[i] to the UID at position seqs[i] of r, counted from
// 1, or 0 when r holds no such position. Ascending seqs (resolveSeqs
// gives them so) take one pass over the ranges.
func (r Ranges) uidsAt(seqs, out []uint32) {
	j, base := 0, uint32(0) // range j holds the positions above base
	for i, q := range seqs {
		if q == 0 {
			continue // no such message
		}
		if q <= base {
			j, base = 0, 0 // not ascending: from the start again
		}
		for j < len(r) && q > base+r[j][1]-r[j][0]+1 {
			base += r[j][1] - r[j][0] + 1
			j++
		}
		if j < len(r) {
			out[i] = r[j][0] + q - base - 1
		}
	}
}

// flagKey is the canonical form of a set of flags.
func flagKey(flags []string) string {
	s := slices.Clone(flags)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), " ")
}

// State returns what the view's client has been told, for the session to
// hibernate; ok is false while news is still to be told (Poll first), as
// the state would not be what the client knows.
func (v *View) State() (st *ViewState, ok bool) {
	mb := v.mb
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.fullLocked()
	if len(v.pending) > 0 {
		return nil, false
	}
	st = &ViewState{UIDValidity: mb.uidValidity, UIDs: rangesOf(v.list()), Announced: v.announcedList()}
	byFlags := map[string][]uint32{}
	for _, uid := range v.uids {
		if i := mb.index(uid); i >= 0 && len(mb.msgs[i].Flags) > 0 {
			k := flagKey(mb.msgs[i].Flags)
			byFlags[k] = append(byFlags[k], uid)
		}
	}
	if len(byFlags) > 0 {
		st.Flags = make(map[string]Ranges, len(byFlags))
		for k, uids := range byFlags {
			st.Flags[k] = rangesOf(uids)
		}
	}
	for uid := range v.recent {
		st.Recent = append(st.Recent, uid)
	}
	slices.Sort(st.Recent)
	return st, true
}

// ErrUIDValidityChanged is returned by SelectState when the mailbox is
// not the one the state describes any more: the client must select it
// again.
var ErrUIDValidityChanged = errors.New("the mailbox's UIDVALIDITY changed")

// SelectState opens a view on name that starts where a hibernated
// session's view left off: its sequence numbers are st's, and its first
// Poll tells what changed since (expunged, new and re-flagged messages).
func (a *Account) SelectState(name string, readOnly bool, st *ViewState) (*View, error) {
	mb, loc, err := a.open(name)
	if err != nil {
		return nil, err
	}
	if loc.kind == Other {
		readOnly = true
	}
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.fullLocked()
	if mb.uidValidity != st.UIDValidity {
		a.store.release(mb)
		return nil, ErrUIDValidityChanged
	}
	v := &View{
		mb:       mb,
		readOnly: readOnly,
		validity: mb.uidValidity,
		uids:     st.UIDs.expand(),
		recent:   make(map[uint32]struct{}, len(st.Recent)),
		wake:     make(chan struct{}, 1),
	}
	v.announceLocked(st.Announced)
	known := map[uint32]string{}
	for k, r := range st.Flags {
		for _, uid := range r.expand() {
			known[uid] = k
		}
	}
	var last uint32
	for _, uid := range v.uids {
		last = uid
		i := mb.index(uid)
		switch {
		case i < 0:
			v.pending = append(v.pending, update{kind: updExpunged, uid: uid})
		case flagKey(mb.msgs[i].Flags) != known[uid]:
			v.pending = append(v.pending, update{kind: updFlags, uid: uid})
		}
	}
	for _, uid := range st.Recent {
		if mb.index(uid) >= 0 {
			v.recent[uid] = struct{}{}
		}
	}
	for _, m := range mb.msgs {
		if m.UID > last {
			v.pending = append(v.pending, update{kind: updAdded, uid: m.UID})
		}
	}
	mb.views[v] = struct{}{}
	return v, nil
}

// Path returns where the view's mailbox lives on disk: the file or
// directory whose changes a hibernated session waits for.
func (v *View) Path() string { return v.mb.path }

// Bookkeeping reports whether a file named name in a mailbox's directory
// is one that mail programs keep beside the messages rather than a
// message or its flags: mailgate's own indexes, caches, modseq and
// temporary files, and the .mu-prop of imap4d's MH and maildir folders.
// Sessions write these when they merely open a mailbox, so a hibernated
// session that woke for them would wake the next one in turn, for ever.
// (MH's .mh_sequences holds flags: it is not bookkeeping.)
func Bookkeeping(name string) bool {
	return strings.HasPrefix(name, ".mailgate") || name == ".mu-prop"
}
