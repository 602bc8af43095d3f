//go:build !(pam && cgo)

package auth

import (
	"errors"
	"log/slog"
	"time"
)

// PAMBuilt tells whether this build has the pam back-end.
const PAMBuilt = false

// DefaultPAMService is the PAM service name NewPAM uses when none is given:
// /etc/pam.d/mailgate.
const DefaultPAMService = "mailgate"

// PAMOptions are the settings of NewPAM; see the build with -tags pam.
type PAMOptions struct {
	Service  string
	MinUID   int
	CacheTTL time.Duration
	Logger   *slog.Logger
}

// PAM is the pam back-end, which this build lacks.
type PAM struct{ Authenticator }

// NewPAM fails in a build without PAM, saying how to get one.
func NewPAM(*PAMOptions) (*PAM, error) { return nil, errNoPAM }

// errNoPAM is the error of the pam back-end in a build without PAM.
var errNoPAM = errors.New(`this mailgate was built without PAM: rebuild it with -tags pam (cgo and libpam0g-dev), or use the "system" back-end`)
