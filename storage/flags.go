package storage

import (
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
