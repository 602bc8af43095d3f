package config

import (
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// keyPath names one key of a TOML document, array elements included:
// each segment is a key (quoted as TOML needs) or an index "[n]".
type keyPath []string

// key returns the path of a key inside the table at p.
func (p keyPath) key(k string) keyPath {
	return append(p[:len(p):len(p)], toml.Key{k}.String())
}

// index returns the path of element i of the array at p.
func (p keyPath) index(i int) keyPath {
	return append(p[:len(p):len(p)], "["+strconv.Itoa(i)+"]")
}

// String writes the path with its indexes, "server[1].address"; this is
// the key of the line table.
func (p keyPath) String() string {
	var b strings.Builder
	for i, s := range p {
		if i > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// display writes the path as a user wrote it, without indexes:
// "server.address".
func (p keyPath) display() string {
	var b strings.Builder
	for _, s := range p {
		if strings.HasPrefix(s, "[") {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// parent returns the path without its last segment.
func (p keyPath) parent() keyPath {
	if len(p) == 0 {
		return nil
	}
	return p[:len(p)-1]
}
