package config

import (
	"fmt"
	"net"
	"path"
	"strings"
)

// Preauth is a parsed preauth setting.
type Preauth struct {
	// Method is "" (no preauth), "stdio", "ident" or "prog".
	Method string
	// IdentHost is the ident server to ask; "" means the client's host.
	IdentHost string
	// IdentPort is the ident port, a number or a service name; "113"
	// unless the setting names another.
	IdentPort string
	// Program is the absolute path of the prog:// program.
	Program string
	// Args are the program's arguments, split at white space, with their
	// ${client_address}, ${client_port}, ${server_address} and
	// ${server_port} left for the caller to expand.
	Args []string
}

// preauthVariables are the meta-variables a prog:// command line may use.
func preauthVariables() []string {
	return []string{"client_address", "client_port", "server_address", "server_port"}
}

// ParsePreauth reads a preauth setting: "" or "stdio"; "ident",
// "ident://:port" or "ident://host:port"; or "prog:///abs/path args...".
func ParsePreauth(s string) (Preauth, error) {
	switch {
	case s == "":
		return Preauth{}, nil
	case s == "stdio":
		return Preauth{Method: "stdio"}, nil
	case s == "ident":
		return Preauth{Method: "ident", IdentPort: "113"}, nil
	case strings.HasPrefix(s, "ident://"):
		host, port, err := net.SplitHostPort(strings.TrimPrefix(s, "ident://"))
		if err != nil || port == "" || !isPort(port) {
			return Preauth{}, fmt.Errorf("preauth %q: want \"ident://:port\" or \"ident://host:port\"", s)
		}
		return Preauth{Method: "ident", IdentHost: host, IdentPort: port}, nil
	case strings.HasPrefix(s, "prog://"):
		fields := strings.Fields(strings.TrimPrefix(s, "prog://"))
		if len(fields) == 0 || !path.IsAbs(fields[0]) {
			return Preauth{}, fmt.Errorf("preauth %q: want \"prog:///absolute/path args...\"", s)
		}
		for _, arg := range fields[1:] {
			for _, name := range variables(arg) {
				if !contains(preauthVariables(), name) {
					return Preauth{}, fmt.Errorf("preauth %q: unknown variable $%s; want %s",
						s, name, orList(prefixAll("${", preauthVariables(), "}")))
				}
			}
		}
		return Preauth{Method: "prog", Program: fields[0], Args: fields[1:]}, nil
	}
	return Preauth{}, fmt.Errorf("preauth %q is not valid; want \"stdio\", \"ident\", \"ident://[host]:port\" or \"prog:///path args...\"", s)
}

// isPort reports whether s is a port number (0-65535) or a service name.
func isPort(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	digits := strings.Trim(s, "0123456789") == ""
	if digits {
		return len(s) <= 5 && atoiOK(s) <= 65535
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// atoiOK converts a string of at most 5 decimal digits.
func atoiOK(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
