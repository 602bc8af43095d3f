package gateway

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
)

// authenticator builds the chain of password back-ends that [auth]
// authentication lists, in its order, each from its [auth.NAME] table;
// users is the users file, for "users-file". Every back-end keeps its own
// login cache ([auth] cache-ttl), so that entries are keyed by back-end and
// user.
func authenticator(cfg *config.Config, users *auth.UsersFile, log *slog.Logger) (*auth.Chain, error) {
	a := cfg.Auth
	ttl := a.CacheTTL
	minUID := a.System.MinUID
	if minUID == 0 {
		minUID = -1 // the configuration's 0 serves every account
	}
	var backends []auth.Backend
	for _, name := range a.Authentication {
		var authn auth.Authenticator
		var err error
		switch name {
		case "users-file":
			authn = users
		case "system":
			authn = auth.NewSystem(&auth.SystemOptions{MinUID: minUID, CacheTTL: ttl, Logger: log})
		case "pam":
			authn, err = auth.NewPAM(&auth.PAMOptions{Service: a.PAM.Service, MinUID: minUID, CacheTTL: ttl, Logger: log})
		case "virtdomain":
			authn = auth.NewVirtDomain(&auth.VirtDomainOptions{PasswdDir: a.Virtdomain.PasswdDir, DataDir: cfg.DataDir, CacheTTL: ttl})
		case "sql":
			authn, err = openSQL(cfg, log)
		case "ldap":
			authn, err = newLDAP(cfg, log)
		case "radius":
			authn, err = newRADIUS(cfg)
		default:
			err = fmt.Errorf("unknown password back-end %q", name)
		}
		if err != nil {
			auth.NewChain(log, backends...).Close()
			return nil, fmt.Errorf("auth %s: %w", name, err)
		}
		backends = append(backends, auth.Backend{Name: name, Authenticator: authn})
	}
	return auth.NewChain(log, backends...), nil
}

func openSQL(cfg *config.Config, log *slog.Logger) (auth.Authenticator, error) {
	s := cfg.Auth.SQL
	pw, err := secret(s.Passwd, s.PasswdFile)
	if err != nil {
		return nil, fmt.Errorf("passwd-file: %w", err)
	}
	return auth.OpenSQL(&auth.SQLOptions{
		Interface: s.Interface, DSN: s.DSN, Host: s.Host, Port: s.Port, User: s.User, Password: pw, Database: s.DB,
		GetPwnam: s.GetPwnam, GetPass: s.GetPass, PasswordType: s.PasswordType,
		MaxOpenConns: s.MaxOpenConns, MaxIdleConns: s.MaxIdleConns, ConnMaxLifetime: s.ConnMaxLifetime,
		Timeout: s.Timeout, DataDir: cfg.DataDir, CacheTTL: cfg.Auth.CacheTTL, Logger: log,
	})
}

func newLDAP(cfg *config.Config, log *slog.Logger) (auth.Authenticator, error) {
	l := cfg.Auth.LDAP
	pw, err := secret("", l.Passfile)
	if err != nil {
		return nil, fmt.Errorf("passfile: %w", err)
	}
	return auth.NewLDAP(&auth.LDAPOptions{
		URL: l.URL, StartTLS: l.TLS, CAFile: l.CAFile, Base: l.Base, Filter: l.GetPwnam,
		BindDN: l.BindDN, BindPassword: pw, Method: l.Method, Timeout: l.Timeout,
		DataDir: cfg.DataDir, CacheTTL: cfg.Auth.CacheTTL, Logger: log,
	})
}

func newRADIUS(cfg *config.Config) (auth.Authenticator, error) {
	r := cfg.Auth.RADIUS
	s, err := secret(r.Secret, r.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("secret-file: %w", err)
	}
	return auth.NewRADIUS(&auth.RADIUSOptions{
		Server: r.Server, Secret: s, NASIdentifier: r.NASIdentifier, Timeout: r.Timeout, Retries: r.Retries,
		Home: r.Home, UID: r.UID, GID: r.GID, DataDir: cfg.DataDir, CacheTTL: cfg.Auth.CacheTTL,
	})
}

// secret returns value, or the first line of the file at path when path
// is set.
func secret(value, path string) (string, error) {
	if path == "" {
		return value, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimRight(line, "\r"), nil
}
