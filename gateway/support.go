package gateway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mailgate/mailgate/config"
)

// checkSupported refuses settings whose feature is not built yet, so that
// a configuration never silently means less than it says.
func checkSupported(cfg *config.Config) error {
	var errs []error
	notYet := func(what string) {
		errs = append(errs, fmt.Errorf("%s is not implemented yet; remove it from the configuration", what))
	}
	for _, a := range cfg.Auth.Authentication {
		if a != "users-file" {
			notYet(fmt.Sprintf("[auth] authentication %q", a))
		}
	}
	for _, m := range cfg.Auth.Mechanisms {
		if u := strings.ToUpper(m); u != "PLAIN" && u != "LOGIN" {
			notYet(fmt.Sprintf("[auth] mechanism %q", m))
		}
	}
	if len(cfg.TLS.ACME.Domains) > 0 {
		notYet("[tls.acme]")
	}
	if len(cfg.LMTP.Listen) > 0 {
		notYet("[lmtp] listen")
	}
	if cfg.Preauth != "" && cfg.Preauth != "stdio" {
		notYet(fmt.Sprintf("preauth %q", cfg.Preauth))
	}
	return errors.Join(errs...)
}
