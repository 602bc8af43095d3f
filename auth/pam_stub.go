//go:build !(pam && cgo)

package auth

import "errors"

// PAMBuilt tells whether this build has the pam back-end.
const PAMBuilt = false

// PAM is the pam back-end, which this build lacks.
type PAM struct{ Authenticator }

// NewPAM fails in a build without PAM, saying how to get one.
func NewPAM(*PAMOptions) (*PAM, error) { return nil, errNoPAM }

// errNoPAM is the error of the pam back-end in a build without PAM.
var errNoPAM = errors.New(`this mailgate was built without PAM: rebuild it with -tags pam (cgo and libpam0g-dev), or use the "system" back-end`)
