package config

import "time"

// The tables of the password back-ends that [auth] authentication may
// name besides "users-file". Each is read only when its back-end is
// listed. The keys follow imap4d's pam, sql, ldap, radius and virtdomain
// statements where they have one.

// AuthSystem is [auth.system]: system accounts, passwd and shadow.
type AuthSystem struct {
	// MinUID is mailgate's own: the lowest uid the system and pam
	// back-ends serve; accounts below it are unknown to them, so root and
	// the service accounts never log in. 0 serves every account. Default
	// 1000.
	MinUID int `toml:"min-uid"`
}

// AuthPAM is [auth.pam], imap4d's pam statement.
type AuthPAM struct {
	// Service is the PAM service, the file in /etc/pam.d. Default
	// "mailgate".
	Service string `toml:"service"`
}

// AuthVirtdomain is [auth.virtdomain], imap4d's virtdomain statement.
type AuthVirtdomain struct {
	// PasswdDir holds one passwd-format file per mail domain, named after
	// the domain: a login user@domain is user in PasswdDir/domain.
	PasswdDir string `toml:"passwd-dir"`
}

// AuthSQL is [auth.sql], imap4d's sql statement.
type AuthSQL struct {
	// Interface is "postgres" or "mysql" (MariaDB too). Default
	// "postgres".
	Interface string `toml:"interface"`
	// Host is the server's host name, or the absolute path of its unix
	// socket (MySQL) or socket directory (PostgreSQL); "" is the driver's
	// default.
	Host string `toml:"host"`
	// Port is the server's port; 0 is the interface's default.
	Port int `toml:"port"`
	// User and Passwd log in to the database; PasswdFile is mailgate's
	// own: a file holding the password, in place of Passwd.
	User       string `toml:"user"`
	Passwd     string `toml:"passwd"`
	PasswdFile string `toml:"passwd-file"`
	// DB is the database.
	DB string `toml:"db"`
	// DSN is mailgate's own: a driver data source name used instead of
	// host, port, user, passwd and db, for driver options such as TLS.
	DSN string `toml:"dsn"`
	// GetPwnam returns the user's row; $user (or '${user}') is bound as a
	// parameter. Columns by name: name, passwd, uid, gid, gecos, dir,
	// shell.
	GetPwnam string `toml:"getpwnam"`
	// GetPass, when set, returns the stored password in its first
	// column.
	GetPass string `toml:"getpass"`
	// PasswordType is "plain", "hash" (as the users file) or "crypt" (as
	// /etc/shadow). Default "crypt".
	PasswordType string `toml:"password-type"`
	// MaxOpenConns and MaxIdleConns bound the connection pool; default 4
	// and 2.
	MaxOpenConns int `toml:"max-open-conns"`
	MaxIdleConns int `toml:"max-idle-conns"`
	// ConnMaxLifetime closes older pooled connections. Default 30m.
	ConnMaxLifetime time.Duration `toml:"conn-max-lifetime"`
	// Timeout bounds each login's queries, connecting included. Default 5s.
	Timeout time.Duration `toml:"timeout"`
}

// AuthLDAP is [auth.ldap], imap4d's ldap statement.
type AuthLDAP struct {
	// URL is ldap://host[:port] or ldaps://host[:port].
	URL string `toml:"url"`
	// TLS upgrades an ldap:// connection with StartTLS.
	TLS bool `toml:"tls"`
	// CAFile is mailgate's own: PEM certificates trusted for the server's;
	// "" means the system's.
	CAFile string `toml:"ca-file"`
	// Base is the search base.
	Base string `toml:"base"`
	// BindDN binds for the search, with the password in Passfile; ""
	// searches anonymously.
	BindDN   string `toml:"binddn"`
	Passfile string `toml:"passfile"`
	// GetPwnam is the search filter; $user is the escaped user name.
	// Default "(&(objectClass=posixAccount)(uid=$user))".
	GetPwnam string `toml:"getpwnam"`
	// Method is mailgate's own: "bind" (bind as the user's entry) or
	// "compare" (read userPassword and verify it). Default "bind".
	Method string `toml:"method"`
	// Timeout bounds connecting and each request. Default 5s.
	Timeout time.Duration `toml:"timeout"`
}

// AuthRADIUS is [auth.radius], mailgate's keys for imap4d's radius
// back-end.
type AuthRADIUS struct {
	// Server is host[:port]; the port defaults to 1812.
	Server string `toml:"server"`
	// Secret is the shared secret; SecretFile, a file holding it, in its
	// place.
	Secret     string `toml:"secret"`
	SecretFile string `toml:"secret-file"`
	// NASIdentifier is sent as NAS-Identifier. Default "mailgate".
	NASIdentifier string `toml:"nas-identifier"`
	// Timeout is how long one try waits. Default 3s.
	Timeout time.Duration `toml:"timeout"`
	// Retries is how often an unanswered request is sent again. Default 2.
	Retries int `toml:"retries"`
	// Home is the users' home, with $user; "" means <data-dir>/<user>.
	Home string `toml:"home"`
	// UID and GID are the users' ids; -1 (the default) means mailgate's
	// own.
	UID int `toml:"uid"`
	GID int `toml:"gid"`
}

// defaultBackends are the back-end tables' defaults.
func defaultBackends(a *Auth) {
	a.System = AuthSystem{MinUID: 1000}
	a.PAM = AuthPAM{Service: "mailgate"}
	a.SQL = AuthSQL{Interface: "postgres", PasswordType: "crypt", MaxOpenConns: 4, MaxIdleConns: 2,
		ConnMaxLifetime: 30 * time.Minute, Timeout: 5 * time.Second}
	a.LDAP = AuthLDAP{GetPwnam: "(&(objectClass=posixAccount)(uid=$user))", Method: "bind", Timeout: 5 * time.Second}
	a.RADIUS = AuthRADIUS{NASIdentifier: "mailgate", Timeout: 3 * time.Second, Retries: 2, UID: -1, GID: -1}
}
