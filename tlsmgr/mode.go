package tlsmgr

import (
	"fmt"
	"strconv"
)

// Mode is how a listener uses TLS, as imap4d's tls-mode names it. The
// configuration parses it once ([[server]] tls-mode); the gateway and
// every frontend use this value. The zero value is ModeNo.
type Mode uint8

// The TLS modes.
const (
	ModeNo         Mode = iota // "no": plaintext only
	ModeOnDemand               // "ondemand": STARTTLS offered
	ModeRequired               // "required": STARTTLS before login
	ModeConnection             // "connection": TLS from the first byte
)

// modeNames are the modes' names, indexed by Mode.
var modeNames = [...]string{"no", "ondemand", "required", "connection"}

// ParseMode returns the mode a configuration names.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if s == n {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("%q is not valid; want \"no\", \"ondemand\", \"required\" or \"connection\"", s)
}

// Valid reports whether m is one of the four modes.
func (m Mode) Valid() bool { return int(m) < len(modeNames) }

// String returns the mode's name in the configuration.
func (m Mode) String() string {
	if !m.Valid() {
		return "Mode(" + strconv.Itoa(int(m)) + ")"
	}
	return modeNames[m]
}

// MarshalText writes the mode's name.
func (m Mode) MarshalText() ([]byte, error) {
	if !m.Valid() {
		return nil, fmt.Errorf("tls mode %d is not valid", m)
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads a mode's name, as ParseMode does.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// StartTLS reports whether the listener offers STARTTLS: ondemand and
// required.
func (m Mode) StartTLS() bool { return m == ModeOnDemand || m == ModeRequired }

// Implicit reports whether connections speak TLS from the first byte.
func (m Mode) Implicit() bool { return m == ModeConnection }

// NeedsCertificate reports whether the mode uses TLS at all.
func (m Mode) NeedsCertificate() bool { return m != ModeNo }
