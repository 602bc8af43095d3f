package sortthread

import (
	"cmp"
	"slices"
	"strconv"
)

// Message is what threading needs to know of one message.
type Message struct {
	// ID is what the THREAD response names the message by: its sequence
	// number, or its UID for UID THREAD. IDs ascend in mailbox order.
	ID uint32
	// Date is the sent date in seconds since 1970 (RFC 5256 section
	// 2.2: the Date field in UTC, or the internal date without one).
	Date int64
	// Subject is the collated base subject (Casemap of BaseSubject), and
	// Reply says its extraction removed a reply or forward marker.
	Subject string
	Reply   bool
	// MessageID is the message's Message-ID without its angle brackets,
	// "" when it has none; References are the msg-ids of its References
	// field, or the first of In-Reply-To when it has none (section 4,
	// step 1).
	MessageID  string
	References []string
}

// Node is a thread: a message, or a dummy (Msg < 0) that only gathers
// its children, and the threads under it.
type Node struct {
	Msg      int // index into the messages threaded; -1 for a dummy
	Children []*Node

	parent *Node
}

// dateOf orders siblings (RFC 5256 section 4, step 6): a dummy takes the
// date of its first child.
func dateOf(n *Node, msgs []Message) (int64, uint32) {
	for n.Msg < 0 {
		if len(n.Children) == 0 {
			return 0, 0
		}
		n = n.Children[0]
	}
	return msgs[n.Msg].Date, msgs[n.Msg].ID
}

func sortSiblings(nodes []*Node, msgs []Message) {
	slices.SortStableFunc(nodes, func(a, b *Node) int {
		da, ia := dateOf(a, msgs)
		db, ib := dateOf(b, msgs)
		return cmp.Or(cmp.Compare(da, db), cmp.Compare(ia, ib))
	})
}

// OrderedSubject threads msgs by the ORDEREDSUBJECT algorithm (RFC 5256
// section 4): messages of one base subject form a thread, the earliest
// the parent of the others, and threads follow the dates of their first
// messages.
func OrderedSubject(msgs []Message) []*Node {
	order := make([]int, len(msgs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ma, mb := &msgs[a], &msgs[b]
		return cmp.Or(cmp.Compare(ma.Subject, mb.Subject), cmp.Compare(ma.Date, mb.Date), cmp.Compare(ma.ID, mb.ID))
	})
	var roots []*Node
	var cur *Node
	for k, i := range order {
		if k > 0 && msgs[i].Subject == msgs[order[k-1]].Subject {
			cur.Children = append(cur.Children, &Node{Msg: i})
			continue
		}
		cur = &Node{Msg: i}
		roots = append(roots, cur)
	}
	sortSiblings(roots, msgs)
	return roots
}

// References threads msgs by the REFERENCES algorithm (RFC 5256 section
// 4), the steps numbered as there.
func References(msgs []Message) []*Node {
	roots := linked(msgs, true)
	// (5) Gather the roots that share a base subject, taking them in
	// the order of their earliest messages, as Dovecot does: which root
	// a thread is merged into depends on the order.
	slices.SortStableFunc(roots, func(a, b *Node) int {
		da, ia := earliest(a, msgs)
		db, ib := earliest(b, msgs)
		return cmp.Or(cmp.Compare(da, db), cmp.Compare(ia, ib))
	})
	roots = groupBySubject(roots, msgs)
	// (6) Sort each set of siblings by date, depth first.
	sortTree(roots, msgs)
	return roots
}

// Refs threads msgs by the REFS algorithm (THREAD=REFS, as Dovecot
// answers it; draft-ietf-morg-inthread): REFERENCES' steps 1 to 4, no
// gathering by subject (step 5), replies sorted by date as in step 6,
// and the threads sorted by the latest date in each (the newest thread
// last), ties by the first message, a thread without one (a dummy that
// gathers several) first.
func Refs(msgs []Message) []*Node {
	roots := linked(msgs, false)
	for _, n := range roots {
		sortTree(n.Children, msgs)
	}
	type key struct {
		latest int64
		id     uint32 // 0 for a dummy
	}
	keys := make(map[*Node]key, len(roots))
	for _, n := range roots {
		k := key{latest: latestDate(n, msgs)}
		if n.Msg >= 0 {
			k.id = msgs[n.Msg].ID
		}
		keys[n] = k
	}
	slices.SortStableFunc(roots, func(a, b *Node) int {
		ka, kb := keys[a], keys[b]
		return cmp.Or(cmp.Compare(ka.latest, kb.latest), cmp.Compare(ka.id, kb.id))
	})
	return roots
}

// earliestChild is the child of n that step 6 puts first.
func earliestChild(n *Node, msgs []Message) *Node {
	return slices.MinFunc(n.Children, func(a, b *Node) int {
		da, ia := dateOf(a, msgs)
		db, ib := dateOf(b, msgs)
		return cmp.Or(cmp.Compare(da, db), cmp.Compare(ia, ib))
	})
}

// earliest is the date and ID a root of the root set is ordered by
// before step 5: its message's, or a dummy's earliest child's.
func earliest(n *Node, msgs []Message) (int64, uint32) {
	if n.Msg < 0 && len(n.Children) > 0 {
		n = earliestChild(n, msgs)
	}
	return dateOf(n, msgs)
}

// latestDate is the latest date of the messages of n's thread.
func latestDate(n *Node, msgs []Message) int64 {
	var latest int64
	var walk func(*Node)
	walk = func(n *Node) {
		if n.Msg >= 0 {
			latest = max(latest, msgs[n.Msg].Date)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(n)
	return latest
}

// sortTree sorts each set of siblings by date (step 6), depth first.
func sortTree(nodes []*Node, msgs []Message) {
	for _, n := range nodes {
		sortTree(n.Children, msgs)
	}
	sortSiblings(nodes, msgs)
}

// linked makes the threads of msgs by their references (steps 1 to 4):
// the root set with dummies pruned; promote says a dummy at the root
// with one child gives way to it (REFERENCES), else it stays, which
// AppendThreads writes the same.
func linked(msgs []Message, promote bool) []*Node {
	byID := make(map[string]*Node, len(msgs))
	var all []*Node // every container made, in order
	container := func(id string) *Node {
		n := byID[id]
		if n == nil {
			n = &Node{Msg: -1}
			byID[id] = n
			all = append(all, n)
		}
		return n
	}
	// (1) Link each message to its references.
	for i := range msgs {
		m := &msgs[i]
		var c *Node
		if m.MessageID != "" {
			if n := byID[m.MessageID]; n == nil || n.Msg < 0 {
				c = container(m.MessageID)
			}
		}
		if c == nil {
			// No Message-ID, or a second message with the same one:
			// a unique one of its own.
			c = &Node{Msg: -1}
			all = append(all, c)
		}
		c.Msg = i
		// (1B) Link the references in order, keeping links made.
		var prev *Node
		for _, ref := range m.References {
			r := container(ref)
			if prev != nil && r.parent == nil && !ancestorOrSelf(r, prev) {
				link(prev, r)
			}
			prev = r
		}
		// (1C) The last reference is the message's parent.
		if prev != nil && ancestorOrSelf(c, prev) {
			prev = nil // would make a loop
		}
		if c.parent != prev {
			if c.parent != nil {
				unlink(c)
			}
			if prev != nil {
				link(prev, c)
			}
		}
	}
	// (2) The root set; (3) the ID table is no longer needed.
	var roots []*Node
	for _, n := range all {
		if n.parent == nil {
			roots = append(roots, n)
		}
	}
	// (4) Prune dummies.
	return prune(roots, true, promote)
}

// ancestorOrSelf reports whether a is n or one of n's ancestors.
func ancestorOrSelf(a, n *Node) bool {
	for ; n != nil; n = n.parent {
		if n == a {
			return true
		}
	}
	return false
}

func link(parent, child *Node) {
	child.parent = parent
	parent.Children = append(parent.Children, child)
}

func unlink(child *Node) {
	p := child.parent
	i := slices.Index(p.Children, child)
	p.Children = slices.Delete(p.Children, i, i+1)
	child.parent = nil
}

// prune removes dummies (step 4): one without children goes; one with
// children gives them to its own parent, except at the root, where only
// a single child is promoted, and that only with promote.
func prune(nodes []*Node, root, promote bool) []*Node {
	var out []*Node
	for _, n := range nodes {
		n.Children = prune(n.Children, false, promote)
		if n.Msg >= 0 {
			out = append(out, n)
			continue
		}
		switch {
		case len(n.Children) == 0:
		case !root || (promote && len(n.Children) == 1):
			for _, c := range n.Children {
				c.parent = n.parent
			}
			out = append(out, n.Children...)
		default:
			out = append(out, n)
		}
	}
	return out
}

// groupBySubject merges roots of one base subject (step 5).
func groupBySubject(roots []*Node, msgs []Message) []*Node {
	subjectOf := func(n *Node) (string, bool) {
		if n.Msg < 0 {
			// (5B-i) A dummy's "first child": the earliest, as
			// step 6 will order them (and as Dovecot takes it).
			n = earliestChild(n, msgs)
		}
		return msgs[n.Msg].Subject, msgs[n.Msg].Reply
	}
	// (5B-C) The table: for each subject, the root that stands for it.
	table := make(map[string]*Node)
	for _, n := range roots {
		subj, reply := subjectOf(n)
		if subj == "" {
			continue
		}
		old := table[subj]
		if old == nil {
			table[subj] = n
			continue
		}
		if old.Msg >= 0 && (n.Msg < 0 || (msgs[old.Msg].Reply && !reply)) {
			table[subj] = n
		}
	}
	// (5E) Merge every other root into the table's. The table's root
	// stays where it is in the root set, turned into a dummy when it
	// must gather siblings.
	out := roots[:0:0]
	for _, n := range roots {
		subj, _ := subjectOf(n)
		t := table[subj]
		if subj == "" || t == n {
			out = append(out, n)
			continue
		}
		switch {
		case t.Msg < 0 && n.Msg < 0:
			for _, c := range n.Children {
				link(t, c)
			}
		case t.Msg < 0:
			link(t, n)
		case n.Msg >= 0 && !msgs[t.Msg].Reply && msgs[n.Msg].Reply:
			link(t, n)
		default:
			// Both replies or neither (the table prefers dummies and
			// non-replies, so the other cases do not arise): siblings
			// under a new dummy.
			demote(t)
			if n.Msg < 0 {
				for _, c := range n.Children {
					link(t, c)
				}
			} else {
				link(t, n)
			}
		}
	}
	return out
}

// demote turns t into a dummy whose one child holds t's message and
// children.
func demote(t *Node) {
	c := &Node{Msg: t.Msg, Children: t.Children}
	for _, g := range c.Children {
		g.parent = c
	}
	t.Msg, t.Children = -1, nil
	link(t, c)
}

// AppendThreads appends the THREAD response's threads (RFC 5256 section
// 5: thread-list) to dst.
func AppendThreads(dst []byte, roots []*Node, msgs []Message) []byte {
	for _, n := range roots {
		dst = append(dst, '(')
		dst = appendChain(dst, n, msgs)
		dst = append(dst, ')')
	}
	return dst
}

// appendChain writes a message and its descendants: a single child
// follows after a space, several each go in parentheses.
func appendChain(dst []byte, n *Node, msgs []Message) []byte {
	for {
		if n.Msg >= 0 {
			dst = strconv.AppendUint(dst, uint64(msgs[n.Msg].ID), 10)
		}
		switch len(n.Children) {
		case 0:
			return dst
		case 1:
			if n.Msg >= 0 {
				dst = append(dst, ' ')
			}
			n = n.Children[0]
			continue
		}
		if n.Msg >= 0 {
			dst = append(dst, ' ')
		}
		for _, c := range n.Children {
			dst = append(dst, '(')
			dst = appendChain(dst, c, msgs)
			dst = append(dst, ')')
		}
		return dst
	}
}
