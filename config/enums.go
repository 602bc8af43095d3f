package config

import (
	"log/slog"
	"slices"
)

// Mode is how mailgate serves: as a daemon or from inetd.
type Mode string

// The modes.
const (
	ModeDaemon Mode = "daemon" // listen on every [[server]] address
	ModeInetd  Mode = "inetd"  // one session on standard input and output
)

// SessionProcess is where sessions run once their user is known.
type SessionProcess string

// The session process models.
const (
	SessionProcessAuto   SessionProcess = "auto"   // a process for users with a uid, when root
	SessionProcessAlways SessionProcess = "always" // a process for every session
	SessionProcessNever  SessionProcess = "never"  // every session in the daemon's process
)

// MailboxType is an on-disk mailbox format.
type MailboxType string

// The mailbox formats.
const (
	TypeMbox    MailboxType = "mbox"
	TypeMaildir MailboxType = "maildir"
	TypeMH      MailboxType = "mh"
)

// LockType is how mbox files are locked.
type LockType string

// The lock types.
const (
	LockDotlock LockType = "dotlock" // name.lock files
	LockKernel  LockType = "kernel"  // fcntl locks
	LockNull    LockType = "null"    // no locking
)

// The words of [mailbox] mail-group besides a group's name or number.
const (
	MailGroupAuto = "auto" // the mail spool's group, when its modes say so
	MailGroupNone = "none" // no group
)

// ACLAction is what an [[acl]] entry does with a matching client.
type ACLAction string

// The ACL actions.
const (
	ACLAllow ACLAction = "allow"
	ACLDeny  ACLAction = "deny"
)

// LogLevel is the least severe log level written.
type LogLevel string

// The log levels.
const (
	LogDebug LogLevel = "debug"
	LogInfo  LogLevel = "info"
	LogWarn  LogLevel = "warn"
	LogError LogLevel = "error"
)

// LogFormat is how log records are written.
type LogFormat string

// The log formats.
const (
	LogText LogFormat = "text" // slog's key=value lines
	LogJSON LogFormat = "json" // one JSON object a line
)

// The log destinations other than a file path.
const (
	LogStderr = "stderr"
	LogSyslog = "syslog"
)

// syslogFacilityNames are the facilities [logging] syslog-facility may
// name, as syslog(3) does.
func syslogFacilityNames() []string {
	return []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
		"authpriv", "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}
}

// SyslogFacility returns the facility's number as syslog(3) numbers it,
// shifted into place (LOG_MAIL is 2<<3); ok is false for an unknown name.
func SyslogFacility(name string) (facility int, ok bool) {
	i := slices.Index(syslogFacilityNames(), name)
	if i < 0 {
		return 0, false
	}
	if i >= 12 { // local0..local7 are 16..23
		i += 4
	}
	return i << 3, true
}

// SlogLevel returns the level as a slog.Level; an unknown level is Info.
func (l LogLevel) SlogLevel() slog.Level {
	switch l {
	case LogDebug:
		return slog.LevelDebug
	case LogWarn:
		return slog.LevelWarn
	case LogError:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// idFieldNames are the ID fields the seed lists, in its order.
func idFieldNames() []string {
	return []string{"name", "version", "vendor", "support-url", "address",
		"os", "os-version", "command", "arguments", "environment"}
}

// authenticationNames are the password databases [auth] authentication
// may name.
func authenticationNames() []string {
	return []string{"users-file", "system", "pam", "virtdomain", "sql", "ldap", "radius"}
}
