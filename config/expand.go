package config

import (
	"fmt"
	"strings"
)

// Expand replaces $name and ${name} in s with vars[name], for the names in
// vars; mailgate's paths use "user" and "home". A name runs as far as
// letters, digits and underscores go, as in the shell, so "$username" is
// the variable "username", not "$user" then "name". References to names
// that vars lacks, and a "$" that starts no reference, are left as they are.
func Expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		name, n := variableAt(s[i:])
		if v, ok := vars[name]; ok && n > 0 {
			b.WriteString(v)
			s = s[i+n:]
			continue
		}
		b.WriteByte('$')
		s = s[i+1:]
	}
}

// variableAt reads the reference at the start of s, which starts with "$":
// its name and length, or n == 0 if there is none.
func variableAt(s string) (name string, n int) {
	if strings.HasPrefix(s, "${") {
		end := strings.IndexByte(s, '}')
		if end < 0 || !isName(s[2:end]) {
			return "", 0
		}
		return s[2:end], end + 1
	}
	j := 1
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	if j == 1 {
		return "", 0
	}
	return s[1:j], j
}

// variables lists the names that s refers to, in order.
func variables(s string) []string {
	var names []string
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			return names
		}
		name, n := variableAt(s[i:])
		if n > 0 {
			names = append(names, name)
			s = s[i+n:]
			continue
		}
		s = s[i+1:]
	}
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ParseMailboxPattern splits a mailbox-pattern, "[type:]path", into its
// type ("mbox", "maildir", "mh", or "" when the pattern names none) and
// its path, which keeps its $user and $home unexpanded. The type may be
// followed by "//" as in a URL: "maildir:$home/INBOX",
// "maildir://$home/INBOX" and "maildir:///var/mail/$user" all work.
func ParseMailboxPattern(s string) (typ, path string, err error) {
	if s == "" {
		return "", "", fmt.Errorf("mailbox pattern is empty")
	}
	if i := strings.IndexByte(s, ':'); i > 0 && isScheme(s[:i]) {
		typ, path = s[:i], strings.TrimPrefix(s[i+1:], "//")
		switch MailboxType(typ) {
		case TypeMbox, TypeMaildir, TypeMH:
		default:
			return "", "", fmt.Errorf("mailbox pattern %q: unknown type %q; want mbox, maildir or mh", s, typ)
		}
		if path == "" {
			return "", "", fmt.Errorf("mailbox pattern %q has no path after the type", s)
		}
		return typ, path, nil
	}
	return "", s, nil
}

// isScheme reports whether s looks like a URL scheme: letters, then
// letters, digits, "+", "-" or ".".
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}
