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
	supported := func(typ config.MailboxType) bool { return typ == "" || typ == "maildir" || typ == "mh" }
	if !supported(cfg.Mailbox.MailboxType) {
		notYet(fmt.Sprintf("[mailbox] mailbox-type %q", cfg.Mailbox.MailboxType))
	}
	if cfg.Mailbox.MailboxPattern == "" {
		notYet("INBOX in the mail spool (an mbox file; set [mailbox] mailbox-pattern to a maildir until then)")
	} else if typ, _, err := config.ParseMailboxPattern(cfg.Mailbox.MailboxPattern); err == nil && !supported(config.MailboxType(typ)) {
		notYet(fmt.Sprintf("[mailbox] mailbox-pattern of type %q", typ))
	}
	for _, ns := range []config.Namespace{cfg.Namespace.Personal, cfg.Namespace.Other, cfg.Namespace.Shared} {
		for _, p := range ns.Prefixes {
			if !supported(p.MailboxType) {
				notYet(fmt.Sprintf("prefix %q with mailbox-type %q", p.Prefix, p.MailboxType))
			}
		}
	}
	return errors.Join(errs...)
}
