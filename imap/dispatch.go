package imap

import "strings"

// stateSet is a set of connection states.
type stateSet uint8

func (ss stateSet) has(st state) bool { return ss&(1<<st) != 0 }

const (
	anyState      = stateSet(1<<stateNotAuth | 1<<stateAuth | 1<<stateSelected)
	notAuthOnly   = stateSet(1 << stateNotAuth)
	authenticated = stateSet(1<<stateAuth | 1<<stateSelected)
	selectedOnly  = stateSet(1 << stateSelected)
)

// command describes one IMAP command.
type command struct {
	states stateSet
	// uid says the command has a UID form (UID FETCH and so on).
	uid bool
	// expungeOK says EXPUNGE responses may be sent when it completes; RFC
	// 3501 section 7.4.1 forbids them after FETCH, STORE and SEARCH.
	expungeOK bool
	run       func(s *session, tag string, uid bool) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"CAPABILITY":   {states: anyState, expungeOK: true, run: (*session).cmdCapability},
		"NOOP":         {states: anyState, expungeOK: true, run: (*session).cmdNoop},
		"LOGOUT":       {states: anyState, expungeOK: true, run: (*session).cmdLogout},
		"ID":           {states: anyState, expungeOK: true, run: (*session).cmdID},
		"STARTTLS":     {states: notAuthOnly, run: (*session).cmdStartTLS},
		"LOGIN":        {states: notAuthOnly, run: (*session).cmdLogin},
		"AUTHENTICATE": {states: notAuthOnly, run: (*session).cmdAuthenticate},
		"ENABLE":       {states: authenticated, expungeOK: true, run: (*session).cmdEnable},
		"NAMESPACE":    {states: authenticated, expungeOK: true, run: (*session).cmdNamespace},
		"SELECT":       {states: authenticated, run: (*session).cmdSelect},
		"EXAMINE":      {states: authenticated, run: (*session).cmdExamine},
		"CREATE":       {states: authenticated, expungeOK: true, run: (*session).cmdCreate},
		"DELETE":       {states: authenticated, expungeOK: true, run: (*session).cmdDelete},
		"RENAME":       {states: authenticated, expungeOK: true, run: (*session).cmdRename},
		"SUBSCRIBE":    {states: authenticated, expungeOK: true, run: (*session).cmdSubscribe},
		"UNSUBSCRIBE":  {states: authenticated, expungeOK: true, run: (*session).cmdUnsubscribe},
		"LIST":         {states: authenticated, expungeOK: true, run: (*session).cmdList},
		"LSUB":         {states: authenticated, expungeOK: true, run: (*session).cmdLsub},
		"STATUS":       {states: authenticated, expungeOK: true, run: (*session).cmdStatus},
		"GETQUOTA":     {states: authenticated, expungeOK: true, run: (*session).cmdGetQuota},
		"GETQUOTAROOT": {states: authenticated, expungeOK: true, run: (*session).cmdGetQuotaRoot},
		"SETQUOTA":     {states: authenticated, expungeOK: true, run: (*session).cmdSetQuota},
		"APPEND":       {states: authenticated, expungeOK: true, run: (*session).cmdAppend},
		"IDLE":         {states: authenticated, expungeOK: true, run: (*session).cmdIdle},
		"GENURLAUTH":   {states: authenticated, expungeOK: true, run: (*session).cmdGenURLAuth},
		"RESETKEY":     {states: authenticated, expungeOK: true, run: (*session).cmdResetKey},
		"URLFETCH":     {states: authenticated, expungeOK: true, run: (*session).cmdURLFetch},
		"NOTIFY":       {states: authenticated, expungeOK: true, run: (*session).cmdNotify},
		"COMPRESS":     {states: authenticated, run: (*session).cmdCompress},
		"CHECK":        {states: selectedOnly, expungeOK: true, run: (*session).cmdNoop},
		"CLOSE":        {states: selectedOnly, run: (*session).cmdClose},
		"UNSELECT":     {states: selectedOnly, run: (*session).cmdUnselect},
		"EXPUNGE":      {states: selectedOnly, uid: true, expungeOK: true, run: (*session).cmdExpunge},
		"SEARCH":       {states: selectedOnly, uid: true, run: (*session).cmdSearch},
		"SORT":         {states: selectedOnly, uid: true, run: (*session).cmdSort},
		"THREAD":       {states: selectedOnly, uid: true, run: (*session).cmdThread},
		"CANCELUPDATE": {states: selectedOnly, run: (*session).cmdCancelUpdate},
		"FETCH":        {states: selectedOnly, uid: true, run: (*session).cmdFetch},
		"STORE":        {states: selectedOnly, uid: true, run: (*session).cmdStore},
		"COPY":         {states: selectedOnly, uid: true, expungeOK: true, run: (*session).cmdCopy},
		"MOVE":         {states: selectedOnly, uid: true, expungeOK: true, run: (*session).cmdMove},
	}
}

// lookupCommand finds a command by its upper-case name; with uid, only
// commands that have a UID form.
// KnownCommand reports whether name is a command the server implements,
// spelt as Observer.Command reports it ("FETCH", "UID FETCH"): a host
// that labels metrics by command name keeps made-up names apart.
func KnownCommand(name string) bool {
	base, uid := strings.CutPrefix(name, "UID ")
	_, ok := lookupCommand(base, uid)
	return ok
}

func lookupCommand(name string, uid bool) (command, bool) {
	cmd, ok := commands[name]
	if !ok || (uid && !cmd.uid) {
		return command{}, false
	}
	return cmd, true
}
