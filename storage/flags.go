package storage

import (
	"slices"
	"sort"
	"strings"
)

var systemFlags = []string{FlagAnswered, FlagDeleted, FlagDraft, FlagFlagged, FlagSeen}

// CanonicalFlag returns the canonical spelling of a system flag, matched
// case-insensitively, or flag itself for a keyword.
func CanonicalFlag(flag string) string {
	if strings.HasPrefix(flag, `\`) {
		for _, f := range systemFlags {
			if strings.EqualFold(f, flag) {
				return f
			}
		}
	}
	return flag
}

// IsSystemFlag reports whether flag is one of the five storable system
// flags, spelled canonically.
func IsSystemFlag(flag string) bool {
	for _, f := range systemFlags {
		if f == flag {
			return true
		}
	}
	return false
}

// normalizeFlags returns flags in canonical spelling, sorted, without
// duplicates and without \Recent.
func normalizeFlags(flags []string) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		f = CanonicalFlag(f)
		if strings.EqualFold(f, `\Recent`) || f == "" {
			continue
		}
		if !hasFlag(out, f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// hasFlag reports whether flags holds flag (keywords compare
// case-insensitively, as RFC 3501 says flags do).
func hasFlag(flags []string, flag string) bool {
	for _, f := range flags {
		if strings.EqualFold(f, flag) {
			return true
		}
	}
	return false
}

// HasFlag reports whether flags holds flag, comparing case-insensitively.
func HasFlag(flags []string, flag string) bool { return hasFlag(flags, flag) }

func sameFlags(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, f := range a {
		if !hasFlag(b, f) {
			return false
		}
	}
	return true
}

// StoreOp says how STORE combines flags.
type StoreOp int

// The STORE operations.
const (
	ReplaceFlags StoreOp = iota
	AddFlags
	RemoveFlags
)

// applyFlags returns the flags after op.
func applyFlags(cur []string, op StoreOp, flags []string) []string {
	switch op {
	case ReplaceFlags:
		return normalizeFlags(flags)
	case AddFlags:
		return normalizeFlags(append(append([]string(nil), cur...), flags...))
	default:
		out := make([]string, 0, len(cur))
		for _, f := range cur {
			if !hasFlag(flags, f) {
				out = append(out, f)
			}
		}
		return out
	}
}

// flagsMemo remembers applyFlags's results for a STORE of many messages,
// most of which have one of a few sets of flags: the new flags are worked
// out once per set rather than once per message, and the messages alike
// share them.
type flagsMemo struct {
	seen []memoEntry
}

type memoEntry struct {
	cur, next []string
	same      bool
}

// memoMax bounds what a flagsMemo remembers: past it, a message's flags
// are worked out alone.
const memoMax = 16

// apply returns applyFlags(cur, op, flags), shared with earlier messages
// whose flags were the same as cur, and whether it holds the same flags
// as cur. The result has no spare capacity, so that an append to it never
// writes into another message's.
func (m *flagsMemo) apply(cur []string, op StoreOp, flags []string) (next []string, same bool) {
	for _, e := range m.seen {
		if slices.Equal(e.cur, cur) {
			return e.next, e.same
		}
	}
	next = slices.Clip(applyFlags(cur, op, flags))
	same = sameFlags(next, cur)
	if len(m.seen) < memoMax {
		m.seen = append(m.seen, memoEntry{cur: cur, next: next, same: same})
	}
	return next, same
}
