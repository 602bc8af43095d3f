package auth

import (
	"log/slog"
	"time"
)

// DefaultPAMService is the PAM service name NewPAM uses when none is given:
// /etc/pam.d/mailgate.
const DefaultPAMService = "mailgate"

// PAMOptions are the settings of NewPAM. The zero value is usable.
type PAMOptions struct {
	// Service is the PAM service (the file in /etc/pam.d); "" means
	// DefaultPAMService.
	Service string
	// MinUID is the lowest uid served, as SystemOptions.MinUID.
	MinUID int
	// CacheTTL is how long a successful check is remembered. PAM shows no
	// hash, so a password changed meanwhile keeps working until the entry
	// expires.
	CacheTTL time.Duration
	// Logger hears of PAM's messages; nil means slog.Default().
	Logger *slog.Logger

	confDir string // tests: a directory in place of /etc/pam.d
}
