package config

import (
	_ "embed"
	"os"
	"path/filepath"
	"time"

	"github.com/mailgate/mailgate/tlsmgr"
)

// SystemFile is the configuration mailgate reads when it is given no
// --config; without it, mailgate runs on the embedded default.
const SystemFile = "/etc/mailgate/mailgate.toml"

// DefaultFileName is the name that messages about the embedded default
// file give it.
const DefaultFileName = "default.toml"

//go:embed default.toml
var defaultFile string

// DefaultFile returns the embedded default configuration: the file that
// Default's values come from, commented so that it documents every key.
func DefaultFile() []byte { return []byte(defaultFile) }

// Default returns the configuration of the embedded default file: a
// foreground daemon on 127.0.0.1:1143 without TLS, INBOX at
// maildir:$mailhome/INBOX, the personal namespace "" at $mailhome, users
// from <data-dir>/users, and logging at info on standard error. Each call
// returns a new Config.
func Default() *Config {
	c := &Config{
		Mode:                 ModeDaemon,
		Foreground:           true,
		MaxChildren:          20,
		ShutdownGrace:        10 * time.Second,
		SessionProcess:       SessionProcessAuto,
		RetainGroups:         []string{},
		SessionMemoryLimit:   1 << 30,
		DataDir:              DefaultDataDir(),
		HomeDirMode:          0o700,
		IDFields:             []string{"name", "version"},
		PreauthTimeout:       10 * time.Second,
		IdentServerAddresses: []string{},
		AllowUsers:           []string{},
		DenyUsers:            []string{},
		AllowGroups:          []string{},
		DenyGroups:           []string{},
		TCPWrappers:          TCPWrappers{Daemon: "mailgate", AllowTable: "/etc/hosts.allow", DenyTable: "/etc/hosts.deny"},
		Servers:              []Server{DefaultServer()},
		Mailbox: Mailbox{
			MailSpool:      "/var/mail",
			MailboxPattern: "maildir:" + MailHomeVariable + "/INBOX",
			MailboxType:    TypeMaildir,
			MailGroup:      MailGroupAuto,
			MHKeepExpunged: 24 * time.Hour,
		},
		Locking: Locking{
			Type:          LockDotlock,
			RetryCount:    10,
			RetrySleep:    time.Second,
			ExpireTimeout: 10 * time.Minute,
		},
		Namespace: Namespaces{
			Personal: Namespace{Prefixes: []Prefix{{Prefix: "", Directory: MailHomeVariable, Delimiter: "/"}}},
		},
		TLS: TLS{ACME: ACME{
			Domains:               []string{},
			Challenges:            []string{tlsmgr.HTTP01, tlsmgr.TLSALPN01},
			HTTPAddress:           ":80",
			TLSALPNAddress:        ":443",
			DNS:                   map[string]string{},
			DNSResolvers:          []string{},
			DNSPropagationTimeout: 2 * time.Minute,
			OnDemand:              []string{},
			// As tlsmgr's own defaults: a zero here is no limit.
			OnDemandPerAddress:      tlsmgr.DefaultOnDemandPerAddress,
			OnDemandPerDay:          tlsmgr.DefaultOnDemandPerDay,
			OnDemandMaxCertificates: tlsmgr.DefaultOnDemandMaxCertificates,
		}},
		TLSFileChecks: TLSFileChecks{KeyFile: []string{}, CertFile: []string{}, CAFile: []string{}},
		Auth: Auth{
			Authentication:      []string{"users-file"},
			Mechanisms:          []string{"PLAIN", "LOGIN"},
			CacheTTL:            time.Hour,
			LoginFailureLimit:   10,
			AddressFailureLimit: 50,
			LoginFailureWindow:  10 * time.Minute,
			LoginBlockTime:      15 * time.Minute,
			LoginDelay:          500 * time.Millisecond,
			LoginMaxDelay:       4 * time.Second,
			ExternalUsername:    "common-name",
			OAuthBearer:         OAuthBearer{UsernameClaim: "email", Timeout: 10 * time.Second},
		},
		LMTP: LMTP{
			Listen:             []string{},
			SocketMode:         0o660,
			Domains:            []string{},
			RecipientDelimiter: "+",
			MaxMessageSize:     64 << 20,
			Timeout:            5 * time.Minute,
			DeliveryWait:       time.Minute,
		},
		ProxyAuth: ProxyAuth{CheckTimeout: time.Second, MaxAttempts: 5, Nodes: []ProxyNode{}},
		Logging: Logging{
			Level:          LogInfo,
			Destination:    LogStderr,
			Format:         LogText,
			SyslogFacility: "mail",
		},
	}
	defaultBackends(&c.Auth)
	return c
}

// DefaultServer returns the values of a [[server]] table that sets
// nothing: 127.0.0.1:1143 without TLS, a 30 minute idle timeout, 60
// seconds to log in, 5 minutes for a write, lines up to 64KiB, literals
// up to 64MiB, 20 connections per address and 5 failed logins per
// connection.
func DefaultServer() Server {
	return Server{
		Address:                  "127.0.0.1:1143",
		TLSMode:                  tlsmgr.ModeNo,
		Timeout:                  30 * time.Minute,
		LoginTimeout:             time.Minute,
		WriteTimeout:             5 * time.Minute,
		MaxLineLength:            64 << 10,
		MaxLiteralSize:           64 << 20,
		MaxConnectionsPerAddress: 20,
		MaxAuthFailures:          5,
		TrustedProxies:           []string{},
	}
}

// DefaultPrefix returns the values of a namespace prefix table that sets
// nothing but its directory: delimiter "/" and any mailbox type.
func DefaultPrefix() Prefix { return Prefix{Delimiter: "/"} }

// DefaultDataDir returns where mailgate keeps its state when data-dir is
// empty: /var/lib/mailgate for root, otherwise $XDG_DATA_HOME/mailgate or
// $HOME/.local/share/mailgate; "" if none of these can be known.
func DefaultDataDir() string { return defaultDataDir(os.Geteuid(), os.Getenv) }

func defaultDataDir(euid int, getenv func(string) string) string {
	if euid == 0 {
		return "/var/lib/mailgate"
	}
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "mailgate")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "mailgate")
	}
	return ""
}

// MailHomeVariable is the variable that stands for a user's mail
// directory in mailbox-pattern and namespace directories: the home itself
// for a user of the users file (a home that mailgate made, in the data
// directory, or one given to "mailgate user add --home", holds nothing but
// mail, and earlier versions keep every folder directly in it), and
// "$home/Mail" for a system account (the user that --preauth serves),
// whose home holds far more than mail.
const MailHomeVariable = "$mailhome"

// UsersFile returns the users file: [auth] users-file, or
// <data-dir>/users when that is empty.
func (c *Config) UsersFile() string {
	if c.Auth.UsersFile != "" {
		return c.Auth.UsersFile
	}
	if c.DataDir == "" {
		return ""
	}
	return filepath.Join(c.DataDir, "users")
}

// ACMEStorage returns where ACME certificates are kept: [tls.acme]
// storage, or <data-dir>/acme when that is empty.
func (c *Config) ACMEStorage() string {
	if c.TLS.ACME.Storage != "" {
		return c.TLS.ACME.Storage
	}
	if c.DataDir == "" {
		return ""
	}
	return filepath.Join(c.DataDir, "acme")
}
