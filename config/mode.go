package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// OctalMode is a file mode written as an octal string, such as "700" or
// "2770": permission bits plus, optionally, setuid (4000), setgid (2000)
// and sticky (1000).
type OctalMode os.FileMode

// FileMode returns the mode as an os.FileMode.
func (m OctalMode) FileMode() os.FileMode { return os.FileMode(m) }

// String writes the mode in octal, as the file does.
func (m OctalMode) String() string {
	fm := os.FileMode(m)
	n := uint32(fm.Perm())
	if fm&os.ModeSetuid != 0 {
		n |= 04000
	}
	if fm&os.ModeSetgid != 0 {
		n |= 02000
	}
	if fm&os.ModeSticky != 0 {
		n |= 01000
	}
	return fmt.Sprintf("%o", n)
}

// MarshalText writes the mode as String does.
func (m OctalMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalTOML reads an octal string.
func (m *OctalMode) UnmarshalTOML(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("want an octal string such as \"700\", not %s", tomlTypeName(v))
	}
	fm, err := ParseOctalMode(s)
	if err != nil {
		return err
	}
	*m = OctalMode(fm)
	return nil
}

// ParseOctalMode reads an octal mode such as "700", "0750" or "2770".
func ParseOctalMode(s string) (os.FileMode, error) {
	if s == "" || len(s) > 5 || strings.Trim(s, "01234567") != "" {
		return 0, fmt.Errorf("mode %q is not an octal number such as \"700\"", s)
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 07777 {
		return 0, fmt.Errorf("mode %q is larger than 7777", s)
	}
	fm := os.FileMode(n & 0777)
	if n&04000 != 0 {
		fm |= os.ModeSetuid
	}
	if n&02000 != 0 {
		fm |= os.ModeSetgid
	}
	if n&01000 != 0 {
		fm |= os.ModeSticky
	}
	return fm, nil
}

// MailboxMode is the group and other permission bits of new mailboxes,
// written as imap4d's mailbox-mode: a comma-separated list of settings,
// each "g" (group) or "o" (others), then "=" or "+", then any of "r" and
// "w". "=" replaces that class's bits, "+" adds to them. "g=rw,o=r" is
// 0064. The owner's bits are not the mode's business.
type MailboxMode os.FileMode

// FileMode returns the group and other bits as an os.FileMode.
func (m MailboxMode) FileMode() os.FileMode { return os.FileMode(m) }

// String writes the mode as the file does, "g=rw,o=r"; "" for none.
func (m MailboxMode) String() string {
	var parts []string
	for _, c := range []struct {
		who   string
		shift uint
	}{{"g", 3}, {"o", 0}} {
		bits := (uint32(m) >> c.shift) & 06
		if bits == 0 {
			continue
		}
		s := c.who + "="
		if bits&04 != 0 {
			s += "r"
		}
		if bits&02 != 0 {
			s += "w"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

// MarshalText writes the mode as String does.
func (m MailboxMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalTOML reads a mailbox-mode string.
func (m *MailboxMode) UnmarshalTOML(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("want a mode string such as \"g=rw,o=r\", not %s", tomlTypeName(v))
	}
	fm, err := ParseMailboxMode(s)
	if err != nil {
		return err
	}
	*m = MailboxMode(fm)
	return nil
}

// ParseMailboxMode reads a mailbox-mode string such as "g=rw", "o+r" or
// "g=rw,o=r" into its group and other bits; "" is no bits.
func ParseMailboxMode(s string) (os.FileMode, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	var mode os.FileMode
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if len(item) < 2 {
			return 0, fmt.Errorf("mailbox-mode %q: setting %q is not like \"g=rw\"", s, item)
		}
		var shift uint
		switch item[0] {
		case 'g':
			shift = 3
		case 'o':
			shift = 0
		default:
			return 0, fmt.Errorf("mailbox-mode %q: %q must start with g (group) or o (others)", s, item)
		}
		op := item[1]
		if op != '=' && op != '+' {
			return 0, fmt.Errorf("mailbox-mode %q: %q needs \"=\" or \"+\" after %c", s, item, item[0])
		}
		var bits os.FileMode
		for _, r := range item[2:] {
			switch r {
			case 'r':
				bits |= 04
			case 'w':
				bits |= 02
			default:
				return 0, fmt.Errorf("mailbox-mode %q: %q may set only r and w", s, item)
			}
		}
		if op == '=' {
			mode &^= 07 << shift
		}
		mode |= bits << shift
	}
	return mode, nil
}
