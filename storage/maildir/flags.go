package maildir

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mailgate/mailgate/storage"
)

// forwarded is the keyword that maildir stores as the system letter P.
const forwarded = "$Forwarded"

// letterFlags maps the standard info letters to flags, in ASCII order.
var letterFlags = [...]struct {
	letter byte
	flag   string
}{
	{'D', storage.FlagDraft},
	{'F', storage.FlagFlagged},
	{'P', forwarded},
	{'R', storage.FlagAnswered},
	{'S', storage.FlagSeen},
	{'T', storage.FlagDeleted},
}

// systemLetter returns the info letter of a system flag (or $Forwarded),
// compared without regard to case.
func systemLetter(flag string) (byte, bool) {
	for _, lf := range letterFlags {
		if strings.EqualFold(lf.flag, flag) {
			return lf.letter, true
		}
	}
	return 0, false
}

// decodeLetters turns info letters into sorted flags without duplicates.
// unmapped reports a keyword letter that the table does not name.
func decodeLetters(letters string, kw *keywords) (flags []string, unmapped bool) {
	for i := 0; i < len(letters); i++ {
		c := letters[i]
		var f string
		switch {
		case c >= 'a' && c <= 'z':
			name, ok := kw.name(c)
			if !ok {
				unmapped = true
				continue
			}
			f = name
		case c >= 'A' && c <= 'Z':
			for _, lf := range letterFlags {
				if lf.letter == c {
					f = lf.flag
				}
			}
		}
		if f != "" {
			flags = append(flags, f)
		}
	}
	if len(flags) > 1 {
		sort.Strings(flags)
		flags = dedupSorted(flags)
	}
	return flags, unmapped
}

func dedupSorted(s []string) []string {
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// encodeFlags turns flags into info letters in ASCII order. Letters of old
// that mailgate cannot name (other programs' upper-case letters, keyword
// letters missing from the table) are kept. Keywords that the table lacks
// are returned in missing, and have no letter yet.
func encodeFlags(flags []string, kw *keywords, old string) (letters string, missing []string, err error) {
	var set [128]bool
	for _, f := range flags {
		if c, ok := systemLetter(f); ok {
			set[c] = true
			continue
		}
		if strings.EqualFold(f, `\Recent`) {
			continue
		}
		if !validKeyword(f) {
			return "", nil, fmt.Errorf("flag %q cannot be stored", f)
		}
		if i, ok := kw.index(f); ok {
			set['a'+i] = true
			continue
		}
		dup := false
		for _, m := range missing {
			dup = dup || strings.EqualFold(m, f)
		}
		if !dup {
			missing = append(missing, f)
		}
	}
	for i := 0; i < len(old); i++ {
		c := old[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if !strings.ContainsRune("DFPRST", rune(c)) {
				set[c] = true
			}
		case c >= 'a' && c <= 'z':
			if _, ok := kw.name(c); !ok {
				set[c] = true
			}
		}
	}
	var b []byte
	for c := range set {
		if set[c] {
			b = append(b, byte(c))
		}
	}
	return string(b), missing, nil
}
