package config

import (
	"time"

	"github.com/mailgate/mailgate/tlsmgr"
)

// Config is a whole mailgate configuration. Each field's toml tag is its key
// in the file; the comments give the default that [Default] and the embedded
// reference file ([DefaultFile]) use.
type Config struct {
	// Mode is "daemon" (listen on every [[server]]) or "inetd" (one session
	// on standard input and output). Default "daemon".
	Mode Mode `toml:"mode"`
	// Foreground keeps a daemon attached to its terminal. Default true.
	Foreground bool `toml:"foreground"`
	// MaxChildren caps the concurrent sessions of a daemon (-d N); 0 means
	// no limit. Default 20. Connections that have not logged in may hold
	// three quarters of them (rounded up); the last quarter is kept for
	// addresses that have no connection waiting to log in.
	MaxChildren int `toml:"max-children"`
	// PIDFile is where a daemon writes its process id; "" writes none.
	PIDFile string `toml:"pidfile"`
	// ShutdownGrace is mailgate's own: on SIGTERM, SIGINT or "mailgate
	// stop", how long the sessions' commands under way may take to finish
	// after every session was told "* BYE"; what is left is then cut off.
	// Default 10s.
	ShutdownGrace time.Duration `toml:"shutdown-grace"`
	// SessionProcess is mailgate's own: where a session runs once its
	// user is known. "auto" (the default): in a process of its own, with
	// the user's uid, gid and groups, when the daemon runs as root and the
	// user has a uid (a system account, or a users-file entry with a uid),
	// or VirtualUser is set; "always": every session in a process of its
	// own (as the daemon's own user when not root); "never": every session
	// in the daemon's process.
	SessionProcess SessionProcess `toml:"session-process"`
	// VirtualUser is mailgate's own: the system account whose uid and gid
	// the session processes of users without a uid of their own (virtual
	// users) run with; "" keeps those sessions in the daemon's process
	// (under session-process "auto").
	VirtualUser string `toml:"virtual-user"`
	// RetainGroups are supplementary groups (names or numbers) a session
	// keeps besides the user's own when it takes on the user's identity,
	// as imap4d's retain-groups (the "mail" group, to lock the spool).
	RetainGroups []string `toml:"retain-groups"`
	// MaxSessionsPerUser is mailgate's own: the most concurrent sessions
	// of one user, in every process of the daemon; 0 means no limit.
	MaxSessionsPerUser int `toml:"max-sessions-per-user"`
	// SessionMemoryLimit is mailgate's own: the memory a session process
	// may write (RLIMIT_DATA; the address space the Go runtime reserves
	// without using is not counted); 0 means no limit. Default 1GiB.
	SessionMemoryLimit Size `toml:"session-memory-limit"`
	// HibernateAfter is mailgate's own: how long a session process idles
	// in IDLE before it ends, leaving its connection and state with the
	// daemon, which starts a new one when the client speaks or the mailbox
	// changes (as Dovecot's imap_hibernate_timeout); 0 (the default) never.
	HibernateAfter time.Duration `toml:"hibernate-after"`
	// DataDir is mailgate's own addition: the directory that holds all of
	// its state (the users file, ACME certificates, default homes). When the
	// file leaves it empty, Parse sets it to [DefaultDataDir].
	DataDir string `toml:"data-dir"`

	// LoginDisabled disables the LOGIN command.
	LoginDisabled bool `toml:"login-disabled"`
	// CreateHomeDir creates a user's home directory when it is missing.
	CreateHomeDir bool `toml:"create-home-dir"`
	// HomeDirMode is the mode of home directories that CreateHomeDir makes.
	// Default "700".
	HomeDirMode OctalMode `toml:"home-dir-mode"`
	// Preauth configures PREAUTH: "", "stdio", "ident", "ident://[host]:port"
	// or "prog:///path/prog args..."; see [ParsePreauth].
	Preauth string `toml:"preauth"`
	// PreauthOnly refuses every session that preauth cannot authenticate.
	PreauthOnly bool `toml:"preauth-only"`
	// IdentKeyFile is the DES key file for encrypted ident replies.
	IdentKeyFile string `toml:"ident-keyfile"`
	// IdentEncryptOnly accepts only encrypted ident replies.
	IdentEncryptOnly bool `toml:"ident-encrypt-only"`
	// IdentServerAddresses are the IPv4 addresses clients reach this
	// server by when they are not its listeners' own (a public address
	// that NAT forwards): an encrypted ident reply names the address its
	// client connected to, and is refused when it names another.
	IdentServerAddresses []string `toml:"ident-server-addresses"`
	// PreauthTimeout is mailgate's own: how long a preauth program or
	// ident query may take. Default 10s.
	PreauthTimeout time.Duration `toml:"preauth-timeout"`
	// IDFields lists the fields the ID command returns, from name, version,
	// vendor, support-url, address, os, os-version, command, arguments and
	// environment, or "NAME=VALUE" sent as given. Default name and
	// version: the rest (os-version names the kernel) tells a client,
	// before it logs in, more than it needs.
	IDFields []string `toml:"id-fields"`

	// AllowUsers, DenyUsers, AllowGroups and DenyGroups refuse users
	// after they authenticated: a user named by a deny list is refused;
	// when an allow list is not empty, only users it names may log in.
	// Groups are names or numbers. Default none.
	AllowUsers  []string `toml:"allow-users"`
	DenyUsers   []string `toml:"deny-users"`
	AllowGroups []string `toml:"allow-groups"`
	DenyGroups  []string `toml:"deny-groups"`
	// TCPWrappers applies hosts.allow and hosts.deny.
	TCPWrappers TCPWrappers `toml:"tcp-wrappers"`

	// Servers are the listening addresses of daemon mode, one [[server]]
	// table each.
	Servers []Server `toml:"server"`
	// Mailbox says where INBOX lives.
	Mailbox Mailbox `toml:"mailbox"`
	// Locking configures mbox locking.
	Locking Locking `toml:"locking"`
	// Namespace holds the three RFC 2342 namespaces.
	Namespace Namespaces `toml:"namespace"`
	// TLS names the certificate files or the ACME settings.
	TLS TLS `toml:"tls"`
	// TLSFileChecks are the safety checks applied to the TLS files.
	TLSFileChecks TLSFileChecks `toml:"tls-file-checks"`
	// Auth configures authentication.
	Auth Auth `toml:"auth"`
	// ACL is mailgate's own access list: the first entry that matches a
	// client's address decides; a client no entry matches is allowed.
	ACL []ACL `toml:"acl"`
	// LMTP configures the LMTP delivery frontend.
	LMTP LMTP `toml:"lmtp"`
	// ProxyAuth serves nginx's auth_http and Postfix's socketmap, for
	// many nodes behind one proxy.
	ProxyAuth ProxyAuth `toml:"proxy-auth"`
	// Logging configures the log.
	Logging Logging `toml:"logging"`
	// Metrics configures the Prometheus metrics endpoint.
	Metrics Metrics `toml:"metrics"`

	src *source // where the values came from, for Validate's messages
}

// Server is one listening address, a [[server]] table. A [[server]] table
// in a file starts from [DefaultServer], so each key it leaves out takes
// the value shown in the embedded reference file.
type Server struct {
	// Address is host:port; an empty host listens on every interface.
	// Default "127.0.0.1:1143".
	Address string `toml:"address"`
	// TLSMode is "no", "ondemand" (STARTTLS offered), "required" (STARTTLS
	// before login) or "connection" (implicit TLS), parsed once here into
	// the value the gateway and the frontends use. Default "no".
	TLSMode tlsmgr.Mode `toml:"tls-mode"`
	// CertificateFile, KeyFile and CAFile override [tls]'s for this
	// listener: with certificate-file and key-file set, it serves that
	// pair (never an ACME certificate), and verifies client certificates
	// against its ca-file, or [tls]'s when it sets none. ca-file alone is
	// refused. Default "" (the [tls] table's).
	CertificateFile string `toml:"certificate-file"`
	KeyFile         string `toml:"key-file"`
	CAFile          string `toml:"ca-file"`
	// Timeout is the idle-client timeout; 0 means none. Default 30m.
	Timeout time.Duration `toml:"timeout"`
	// LoginTimeout is mailgate's own: how long a client may stay
	// connected in all before it has logged in. Default 60s (Dovecot
	// gives its login processes 3 minutes).
	LoginTimeout time.Duration `toml:"login-timeout"`
	// WriteTimeout is mailgate's own: how long one write to a client may
	// wait for the client to read; a client that stops reading is
	// disconnected after it. Default 5m.
	WriteTimeout time.Duration `toml:"write-timeout"`
	// Transcript logs the protocol exchange.
	Transcript bool `toml:"transcript"`

	// AllowPlaintext is mailgate's own: when false (the default), LOGIN and
	// AUTHENTICATE PLAIN are refused before TLS on a non-loopback address.
	// True is refused with tls-mode required, which takes no login
	// before TLS. See [Server.PlaintextAuthAllowed].
	AllowPlaintext bool `toml:"allow-plaintext"`
	// MaxLineLength is mailgate's own: the longest command line accepted,
	// literals excluded. Default 64KiB; at least 8192.
	MaxLineLength Size `toml:"max-line-length"`
	// MaxLiteralSize is mailgate's own: the largest literal (an APPEND'ed
	// message, for one) accepted. Default 64MiB.
	MaxLiteralSize Size `toml:"max-literal-size"`
	// MaxConnectionsPerAddress is mailgate's own: the most concurrent
	// connections from one client IP address (an IPv6 /64 counts as one);
	// 0 means no limit. Default 20.
	// At most half of them (rounded up) may be waiting to log in.
	MaxConnectionsPerAddress int `toml:"max-connections-per-address"`
	// TrustedProxies is mailgate's own: addresses or CIDR prefixes of
	// proxies (nginx with proxy_protocol, HAProxy) whose connections must
	// start with a PROXY protocol header, v1 or v2; the client it names
	// is the one the access list, the limits, the throttle and the logs
	// see. Default none.
	TrustedProxies []string `toml:"trusted-proxies"`
	// MaxAuthFailures is mailgate's own: failed logins on one connection
	// before it is closed; 0 means no limit. Default 5.
	MaxAuthFailures int `toml:"max-auth-failures"`
	// CommandRate is mailgate's own: the commands per second one session
	// may sustain (bursts of as many pass at once); a faster client is
	// slowed down, not refused. 0 means no limit (the default).
	CommandRate int `toml:"command-rate"`
}

// Mailbox is the [mailbox] table: where INBOX lives.
type Mailbox struct {
	// MailSpool is the spool directory; INBOX is mail-spool/$user when
	// MailboxPattern is empty. Default "/var/mail".
	MailSpool string `toml:"mail-spool"`
	// MailboxPattern is INBOX as "[type:]path" with $user, $home and
	// $mailhome; see [ParseMailboxPattern]. Default
	// "maildir:$mailhome/INBOX".
	MailboxPattern string `toml:"mailbox-pattern"`
	// MailGroup is mailgate's own: the group that the session and
	// delivery processes of a root daemon get besides the user's own, so
	// that they may create dot locks, APPEND intents and new mailboxes in
	// the mail spool, as Postfix's local(8), procmail and Dovecot's
	// mail_privileged_group do. "auto" (the default): the group of
	// MailSpool when INBOX is in it and it is owned by root,
	// group-writable, not world-writable and its group is named mail
	// (Debian's /var/mail, root:mail 2775); "none": no group; or a group
	// name or number.
	MailGroup string `toml:"mail-group"`
	// MailboxType is the format of new mailboxes: "mbox", "maildir" or
	// "mh". Default "maildir".
	MailboxType MailboxType `toml:"mailbox-type"`
	// SpecialUse are the [[mailbox.special-use]] tables: mailboxes that
	// every user's LIST shows with a special-use attribute (RFC 6154),
	// created at login when Create is set. Default none.
	SpecialUse []SpecialUse `toml:"special-use"`
	// QuotaStorage is mailgate's own: the most mail, in bytes, one user
	// may keep in their personal namespace (RFC 9208 STORAGE), unless
	// their users-file line or back-end gives their own. Default 0, no
	// limit.
	QuotaStorage Size `toml:"quota-storage"`
	// QuotaMessages is mailgate's own: the most messages one user may
	// keep (RFC 9208 MESSAGE), as QuotaStorage. Default 0, no limit.
	QuotaMessages int64 `toml:"quota-messages"`
	// MHKeepExpunged is mailgate's own: how long an MH folder keeps the
	// ",N" file of an expunged message (as nmh's rmm and GNU imap4d
	// leave one), counted from the expunge (the file's ctime); older
	// ones, whoever made them, are removed when mailgate opens the folder
	// for a user who may change it, at most once an hour. 0 keeps none:
	// EXPUNGE removes the file. Default 24h.
	MHKeepExpunged time.Duration `toml:"mh-keep-expunged"`
}

// SpecialUse is one [[mailbox.special-use]] table.
type SpecialUse struct {
	// Name is the mailbox name as clients see it: ASCII, with non-ASCII
	// names in IMAP's modified UTF-7 ("Entw&APw-rfe"). Required.
	Name string `toml:"name"`
	// Use is the attribute, in any case and with or without its
	// backslash: "Sent", "Drafts", "Trash", "Junk", "Archive", "All" or
	// "Flagged" (or '\Sent', a TOML literal string). Required.
	Use string `toml:"use"`
	// Create makes the mailbox at login when it does not exist (Dovecot's
	// auto = create). Default false.
	Create bool `toml:"create"`
}

// Locking is the [locking] table, for mbox files.
type Locking struct {
	// Type is "dotlock", "kernel" or "null". Default "dotlock".
	Type LockType `toml:"type"`
	// RetryCount is how often to retry a held lock. Default 10.
	RetryCount int `toml:"retry-count"`
	// RetrySleep is the pause between retries. Default 1s.
	RetrySleep time.Duration `toml:"retry-sleep"`
	// ExpireTimeout is the age after which a dot-lock is taken as stale.
	// Default 10m.
	ExpireTimeout time.Duration `toml:"expire-timeout"`
}

// Namespaces holds the three namespaces of RFC 2342.
type Namespaces struct {
	// Personal is the user's own mailboxes. When it has no "" prefix,
	// Parse adds one mapped to "$mailhome" (imap4d maps it to "$home").
	Personal Namespace `toml:"personal"`
	// Other is other users' mailboxes; $user in a directory is the user
	// named in the mailbox name.
	Other Namespace `toml:"other"`
	// Shared is mailboxes shared between users.
	Shared Namespace `toml:"shared"`
}

// Namespace is one namespace: the mode of its new mailboxes and its
// prefixes. A file that lists prefixes replaces the default list.
type Namespace struct {
	// MailboxMode holds the group and other bits of mailboxes created in
	// the namespace, as "g=rw,o=r". Default "" (none).
	MailboxMode MailboxMode `toml:"mailbox-mode"`
	// Prefixes are the [[namespace.NAME.prefix]] tables.
	Prefixes []Prefix `toml:"prefix"`
}

// Prefix maps a mailbox name prefix, as clients see it, to a directory. A
// prefix table in a file starts from [DefaultPrefix]: delimiter "/", any
// mailbox type.
type Prefix struct {
	// Prefix is what clients see, for example "", "#MH:", "~".
	Prefix string `toml:"prefix"`
	// Directory is where the mailboxes are; it may hold $user, $home and
	// $mailhome ([MailHomeVariable]). Required.
	Directory string `toml:"directory"`
	// Delimiter is the hierarchy delimiter, one character. Default "/".
	Delimiter string `toml:"delimiter"`
	// MailboxType limits the prefix to one format; "" allows any.
	MailboxType MailboxType `toml:"mailbox-type"`
}

// TLS is the [tls] table.
type TLS struct {
	// CertificateFile is the PEM certificate chain; it needs KeyFile.
	CertificateFile string `toml:"certificate-file"`
	// KeyFile is the PEM private key of CertificateFile.
	KeyFile string `toml:"key-file"`
	// CAFile is a PEM bundle of certificate authorities that sign client
	// certificates (for SASL EXTERNAL); clients without one still connect.
	CAFile string `toml:"ca-file"`
	// ACME obtains certificates automatically, instead or as well.
	ACME ACME `toml:"acme"`
}

// ACME is the [tls.acme] table, for certmagic; see tlsmgr.ACMEOptions,
// whose fields these keys fill (see [Config.TLSOptions]).
type ACME struct {
	// Domains are the names to obtain certificates for; none (and no
	// OnDemand) disables ACME.
	Domains []string `toml:"domains"`
	// Email is the account's contact address; required with ACME.
	Email string `toml:"email"`
	// CA is the ACME directory URL; "" is Let's Encrypt.
	CA string `toml:"ca"`
	// Staging selects Let's Encrypt's staging directory when CA is "".
	Staging bool `toml:"staging"`
	// CARoot is a PEM file of roots trusted for the ACME server's own
	// HTTPS (private CAs, tests); "" is the system's.
	CARoot string `toml:"ca-root"`
	// Profile asks the CA for a certificate profile; "" is its default.
	Profile string `toml:"profile"`
	// Storage is where certificates are kept; "" means <data-dir>/acme
	// (see [Config.ACMEStorage]).
	Storage string `toml:"storage"`
	// Challenges are the challenge types answered: any of "http-01" and
	// "tls-alpn-01", or "dns-01" alone. Default the first two.
	Challenges []string `toml:"challenges"`
	// HTTPAddress is where the HTTP-01 responder listens while a
	// challenge is open. Default ":80".
	HTTPAddress string `toml:"http-address"`
	// TLSALPNAddress is where the TLS-ALPN-01 responder listens while a
	// challenge is open, unless an implicit-TLS [[server]] already holds
	// it and answers. Default ":443".
	TLSALPNAddress string `toml:"tls-alpn-address"`
	// DNSProvider is the DNS-01 provider: "rfc2136" or "exec".
	DNSProvider string `toml:"dns-provider"`
	// DNS holds the provider's settings, the [tls.acme.dns] table:
	// rfc2136 takes server, key-name, key and key-alg; exec takes command.
	DNS map[string]string `toml:"dns"`
	// DNSResolvers are the DNS servers (host:port) DNS-01 asks; none is
	// the system's.
	DNSResolvers []string `toml:"dns-resolvers"`
	// DNSPropagationTimeout bounds the wait for a DNS-01 record to
	// appear; "0s" skips the check. Default 2m.
	DNSPropagationTimeout time.Duration `toml:"dns-propagation-timeout"`
	// DefaultServerName is the name whose certificate clients that send
	// no server name get; "" is the first of Domains.
	DefaultServerName string `toml:"default-server-name"`
	// OnDemand lists the names, "*.example.org" for one label below
	// example.org, whose certificates are obtained during the first
	// handshake that asks for them. Default none.
	OnDemand []string `toml:"on-demand"`
	// OnDemandPerAddress is how many new on-demand names one client host
	// (an IPv6 client by its /48) may have certificates ordered for in an
	// hour; 0 is no limit. Default 2.
	OnDemandPerAddress int `toml:"on-demand-per-address"`
	// OnDemandPerDay is how many new on-demand names may have
	// certificates ordered in a day, all clients together, one network
	// (an IPv4 /24, an IPv6 /48) at most half of them; 0 is no limit.
	// Default 20.
	OnDemandPerDay int `toml:"on-demand-per-day"`
	// OnDemandMaxCertificates is how many on-demand certificates the
	// storage may hold before new names are refused; 0 is no limit.
	// Default 100.
	OnDemandMaxCertificates int `toml:"on-demand-max-certificates"`
}

// TLSFileChecks is the [tls-file-checks] table: the safety checks applied
// to each TLS file before it is used, as imap4d applies them. Each list
// changes the file's default checks, item by item: "name" or "+name" adds
// a check, "-name" removes it, "none", "all" and "default" set the whole
// list; so [] keeps the default and ["-grdfil"] is the default without
// grdfil. The names are gwrfil, awrfil, grdfil, ardfil, linkwrdir, gwrdir
// and awrdir; see tlsmgr.ParseChecks.
type TLSFileChecks struct {
	// KeyFile changes the key files' checks; the default is all of them.
	KeyFile []string `toml:"key-file"`
	// CertFile changes the certificate files' checks; the default is all
	// but grdfil and ardfil.
	CertFile []string `toml:"cert-file"`
	// CAFile changes the CA files' checks; the default is as CertFile's.
	CAFile []string `toml:"ca-file"`
}

// Auth is the [auth] table.
type Auth struct {
	// Authentication lists the password databases, tried in order:
	// "users-file", "system", "pam", "virtdomain", "sql", "ldap",
	// "radius". Default ["users-file"].
	Authentication []string `toml:"authentication"`
	// UsersFile is the passwd(5)-layout users file; "" means
	// <data-dir>/users (see [Config.UsersFile]).
	UsersFile string `toml:"users-file"`
	// Mechanisms are the SASL mechanisms offered by AUTHENTICATE; Parse
	// turns them upper case. Default ["PLAIN", "LOGIN"].
	Mechanisms []string `toml:"mechanisms"`
	// CacheTTL is how long a successful password check is remembered
	// (mailgate's own key, like Dovecot's auth_cache_ttl); 0 turns the
	// cache off. Default 1h.
	CacheTTL time.Duration `toml:"cache-ttl"`

	// The login throttle, mailgate's own keys: one for the whole gateway,
	// counting failed logins per client address and user name, and per
	// address over every user name.

	// LoginFailureLimit is the number of failed logins as one user from
	// one address within LoginFailureWindow that blocks that user from
	// that address. Default 10.
	LoginFailureLimit int `toml:"login-failure-limit"`
	// AddressFailureLimit is the number of failed logins from one address,
	// whatever the user names, within LoginFailureWindow that blocks the
	// address for every user. Default 50.
	AddressFailureLimit int `toml:"address-failure-limit"`
	// LoginFailureWindow is how long failures are counted, from the first
	// one. Default 10m.
	LoginFailureWindow time.Duration `toml:"login-failure-window"`
	// LoginBlockTime is how long a block lasts; `mailgate unblock` lifts
	// one sooner. Default 15m.
	LoginBlockTime time.Duration `toml:"login-block-time"`
	// LoginDelay is the pause before answering the second failed login
	// from an address; each further failure doubles it. Default 500ms.
	LoginDelay time.Duration `toml:"login-delay"`
	// LoginMaxDelay caps that pause, and is how long a login refused
	// during a block waits for its answer. Default 4s.
	LoginMaxDelay time.Duration `toml:"login-max-delay"`

	// AnonymousUser is the user an ANONYMOUS login becomes, read-only;
	// needed when mechanisms lists ANONYMOUS. Default "".
	AnonymousUser string `toml:"anonymous-user"`
	// ExternalUsername says which part of a client certificate names the
	// user for EXTERNAL: "common-name" (the default) or "email" (the
	// first email address among its subject alternative names).
	ExternalUsername string `toml:"external-username"`
	// OAuthBearer checks OAUTHBEARER tokens.
	OAuthBearer OAuthBearer `toml:"oauthbearer"`

	// The password back-ends' tables (auth_backends.go).
	System     AuthSystem     `toml:"system"`
	PAM        AuthPAM        `toml:"pam"`
	Virtdomain AuthVirtdomain `toml:"virtdomain"`
	SQL        AuthSQL        `toml:"sql"`
	LDAP       AuthLDAP       `toml:"ldap"`
	RADIUS     AuthRADIUS     `toml:"radius"`
}

// OAuthBearer is the [auth.oauthbearer] table: how OAUTHBEARER tokens
// are checked, either as signed JWTs (key-file or jwks, with issuer and
// audience) or by an introspection command.
type OAuthBearer struct {
	// KeyFile holds the PEM public keys or certificates, or a JSON Web
	// Key Set, that tokens are signed with.
	KeyFile string `toml:"key-file"`
	// JWKS is the https:// URL of the issuer's JSON Web Key Set.
	JWKS string `toml:"jwks"`
	// Issuer must equal the token's iss claim.
	Issuer string `toml:"issuer"`
	// Audience must be among the token's aud claim.
	Audience string `toml:"audience"`
	// UsernameClaim is the claim naming the user. Default "email", as in
	// Dovecot.
	UsernameClaim string `toml:"username-claim"`
	// IntrospectionCommand is "/path args": the token is written to its
	// standard input; it prints the user name and exits 0 for a good one.
	IntrospectionCommand string `toml:"introspection-command"`
	// Timeout bounds fetching the key set or running the command.
	// Default 10s.
	Timeout time.Duration `toml:"timeout"`
}

// TCPWrappers is the [tcp-wrappers] table, as the seed's tcp-wrappers
// statement: when enabled, every connection is checked against the
// allow and deny tables (hosts_access(5)) before the greeting.
type TCPWrappers struct {
	// Enable turns the check on. Default false.
	Enable bool `toml:"enable"`
	// Daemon is the daemon name rules are matched against. Default
	// "mailgate" (set "imap4d" to keep imap4d's rules).
	Daemon string `toml:"daemon"`
	// AllowTable is the allow file. Default "/etc/hosts.allow".
	AllowTable string `toml:"allow-table"`
	// DenyTable is the deny file. Default "/etc/hosts.deny".
	DenyTable string `toml:"deny-table"`
}

// ACL is one [[acl]] entry, mailgate's own access list.
type ACL struct {
	// Action is "allow" or "deny".
	Action ACLAction `toml:"action"`
	// From is a CIDR prefix ("10.0.0.0/8"), one address, or "any".
	From string `toml:"from"`
}

// LMTP is the [lmtp] table: the delivery frontend through which an MTA
// hands mail to the users' INBOXes.
type LMTP struct {
	// Listen are the LMTP listeners: absolute unix socket paths or
	// host:port. None (the default) disables LMTP.
	Listen []string `toml:"listen"`
	// SocketMode is the permission of the unix sockets; only users who
	// may write to a socket may connect. Default "660".
	SocketMode OctalMode `toml:"socket-mode"`
	// SocketOwner and SocketGroup own the unix sockets (a name or a
	// numeric id); empty keeps mailgate's own. Another owner needs root.
	SocketOwner string `toml:"socket-owner"`
	SocketGroup string `toml:"socket-group"`
	// Domains are the mail domains delivered here; a recipient in any
	// other domain is unknown (550 5.1.1). Empty (the default) accepts
	// every domain and lets the local part decide, as an MTA's
	// mailbox_transport expects.
	Domains []string `toml:"domains"`
	// RecipientDelimiter holds the characters that separate a user from
	// an address's detail ("alice+lists"), as Postfix's
	// recipient_delimiter; empty: addresses have no detail. Default "+".
	RecipientDelimiter string `toml:"recipient-delimiter"`
	// DetailMailbox delivers mail for user+detail into the user's mailbox
	// named detail when it exists, instead of INBOX. Default false.
	DetailMailbox bool `toml:"detail-mailbox"`
	// Hostname names this host in the LHLO reply and the Received line;
	// empty means the system's host name.
	Hostname string `toml:"hostname"`
	// MaxMessageSize is the largest message accepted (SIZE in the LHLO
	// reply); larger ones get 552 5.3.4. Default "64MiB".
	MaxMessageSize Size `toml:"max-message-size"`
	// Timeout is how long an MTA may stay silent in a session. Default
	// "5m".
	Timeout time.Duration `toml:"timeout"`
	// DeliveryProcesses bounds how many delivery processes (a root
	// daemon's deliveries and mailbox work for users whose sessions run
	// with an identity of their own) run at once; more wait their turn,
	// at most DeliveryWait. 0 (the default) is four per CPU, at least 8.
	DeliveryProcesses int `toml:"delivery-processes"`
	// DeliveryWait is how long a delivery waits for a delivery process
	// before its recipient gets 451 4.3.0, for the MTA to try again.
	// Default "1m".
	DeliveryWait time.Duration `toml:"delivery-wait"`
}

// Logging is the [logging] table.
type Logging struct {
	// Level is "debug", "info", "warn" or "error". Default "info".
	Level LogLevel `toml:"level"`
	// Destination is "stderr", "syslog" or the absolute path of a file,
	// opened for appending and reopened on SIGHUP. Standard error is used
	// only where it is safe and seen: not in an inetd session whose
	// standard error is the client's connection, nor in a daemon that
	// detached; there logs go to syslog. Default "stderr".
	Destination string `toml:"destination"`
	// Format is "text" (slog's key=value lines) or "json". Default "text".
	Format LogFormat `toml:"format"`
	// SyslogFacility is the facility of syslog messages: "mail", "daemon",
	// "auth", "authpriv", "user", "local0" to "local7" and the others of
	// syslog(3). Default "mail".
	SyslogFacility string `toml:"syslog-facility"`
}

// Metrics is the [metrics] table: mailgate's Prometheus endpoint.
type Metrics struct {
	// Listen is the host:port where /metrics is served; "" (the default)
	// serves none.
	Listen string `toml:"listen"`
	// AllowRemote permits a Listen address other than a loopback one.
	// Default false: the metrics name users and addresses' activity.
	AllowRemote bool `toml:"allow-remote"`
}
