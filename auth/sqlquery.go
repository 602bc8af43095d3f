package auth

import (
	"errors"
	"strings"
)

// SQL interfaces, as [auth.sql] interface names them.
const (
	SQLPostgres = "postgres"
	SQLMySQL    = "mysql"
)

// userVariables are the spellings of the user name in a configured query,
// longest first: imap4d's quoted '${user}' becomes a bound parameter too,
// so that queries written for it keep working without string
// substitution.
var userVariables = []string{"'${user}'", "'$user'", "${user}", "$user"}

// bindUser turns a configured query into one with a bound parameter in
// place of each $user, for iface's driver: $1 for PostgreSQL (once,
// however often it occurs), ? for MySQL (one per occurrence). It returns
// the query and how many times the user name must be passed. The user
// name is never put into the SQL text.
func bindUser(query, iface string) (string, int, error) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); {
		v := userVariableAt(query, i)
		if v == "" {
			b.WriteByte(query[i])
			i++
			continue
		}
		n++
		if iface == SQLPostgres {
			b.WriteString("$1")
		} else {
			b.WriteByte('?')
		}
		i += len(v)
	}
	if n == 0 {
		return "", 0, errors.New("the query has no $user, the user name to look up")
	}
	if iface == SQLPostgres {
		n = 1
	}
	return b.String(), n, nil
}

// userVariableAt returns the spelling of the user variable at query[i:], or
// "". A bare $user must not run on into a longer name ($username).
func userVariableAt(query string, i int) string {
	for _, v := range userVariables {
		if !strings.HasPrefix(query[i:], v) {
			continue
		}
		if v == "$user" && i+len(v) < len(query) && isIdentByte(query[i+len(v)]) {
			return ""
		}
		return v
	}
	return ""
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
