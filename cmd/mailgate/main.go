// Command mailgate is a mail access gateway: an IMAP4rev1 server that
// does what GNU Mailutils imap4d does, configured in TOML.
//
// Usage:
//
//	mailgate [-d[N] | -i] [--foreground] [--preauth] [--test] [--config FILE]
//	mailgate --config-lint [--config FILE]
//	mailgate user add|passwd|del|list ...
//	mailgate blocks | unblock ADDRESS [USER] | unblock --all
//	mailgate who | kick USER|ADDRESS | reload | stop
//	mailgate auth test USER
//	mailgate mailbox status USER [MAILBOX] | mailbox resync USER MAILBOX
//	mailgate config check FILE | config default
//
// Run "mailgate help" for the details.
package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// usage is printed by --help.
const usage = `Usage: mailgate [OPTION...]
       mailgate [--config FILE] user add|passwd|del|list [ARGS]
       mailgate [--config FILE] blocks | unblock ADDRESS [USER] | unblock --all
       mailgate [--config FILE] who | kick USER|ADDRESS | reload | stop
       mailgate [--config FILE] auth test USER
       mailgate [--config FILE] mailbox status USER [MAILBOX] | mailbox resync USER MAILBOX
       mailgate config check FILE | config default | help

mailgate is an IMAP4rev1 mail access gateway (a GNU imap4d replacement).

Options:
  -d, -dN, --daemon[=N]  run standalone, serving at most N sessions (default 20)
  -i, --inetd            serve one session on standard input and output
                         (on a terminal: PREAUTH as the current user)
      --foreground       stay in the foreground (daemon mode)
      --preauth          serve one session on standard input and output,
                         logged in (PREAUTH) as the invoking user
      --test             test mode: one session on standard input and output
      --config FILE      use FILE instead of /etc/mailgate/mailgate.toml
                         (without either, the built-in default)
      --config-lint      check the configuration and exit
      --version          print the version and exit
  -h, --help, help       print this help and exit

Users (in the users file the configuration names):
  mailgate user add NAME [--password-stdin] [--home DIR] [--scram]
  mailgate user passwd NAME [--password-stdin] [--scram]
                         --scram stores SCRAM-SHA-256 keys, which the
                         SCRAM mechanisms need, instead of a bcrypt hash
  mailgate user del NAME
  mailgate user list

Login blocks (asks the running daemon, over its control socket):
  mailgate blocks                  list the blocks in force: address, user
                                   (* for every user), until, failures
  mailgate unblock ADDRESS [USER]  lift the blocks of ADDRESS (of USER alone)
  mailgate unblock --all           lift every block

Operating the running daemon (over the same socket; root or the daemon's
user only):
  mailgate who                     the live sessions: id, user, address,
                                   frontend, mailbox, since, session process
  mailgate kick USER|ADDRESS       end the sessions of a user or a client
                                   address; each client hears BYE
  mailgate reload                  what SIGHUP does: read the configuration
                                   again; names the settings that wait for a
                                   restart
  mailgate stop                    what SIGTERM does: a graceful shutdown
  mailgate auth test USER          ask for USER's password (no echo; from
                                   standard input when it is not a terminal)
                                   and say which back-end accepts or refuses it
  mailgate mailbox status USER [MAILBOX]
                                   messages, unseen, uidnext, uidvalidity,
                                   highestmodseq, size, format and path of
                                   MAILBOX, or of every mailbox of USER
  mailgate mailbox resync USER MAILBOX
                                   drop the mailbox's caches and index and
                                   read it again (UIDs and modseqs are kept)

Configuration:
  mailgate config check FILE   check FILE as the daemon would, and report
                               every problem with its line (exit status 78)
  mailgate config default      print the built-in configuration (the reference)
`

// options are the parsed command line.
type options struct {
	daemon      bool
	maxSessions int
	inetd       bool
	foreground  bool
	preauth     bool
	test        bool
	configFile  string
	configLint  bool
	version     bool
	help        bool
	rest        []string // a sub-command and its arguments
}

// parseArgs reads the command line. It is written by hand because "-d5"
// and "--daemon=5" take an optional value glued to the flag, as the
// seed's imap4d does, which the flag package cannot express.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-d" || a == "--daemon":
			o.daemon = true
		case len(a) > 2 && a[:2] == "-d" && a[2] != '-':
			o.daemon = true
			n, err := strconv.Atoi(a[2:])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s: the number of sessions must be a positive number, with no space after -d", a)
			}
			o.maxSessions = n
		case len(a) > 9 && a[:9] == "--daemon=":
			o.daemon = true
			n, err := strconv.Atoi(a[9:])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s: the number of sessions must be a positive number", a)
			}
			o.maxSessions = n
		case a == "-i" || a == "--inetd":
			o.inetd = true
		case a == "--foreground":
			o.foreground = true
		case a == "--preauth":
			o.preauth = true
		case a == "--test":
			o.test = true
		case a == "--config":
			if i+1 >= len(args) {
				return nil, fmt.Errorf("--config needs a file name")
			}
			i++
			o.configFile = args[i]
		case len(a) > 9 && a[:9] == "--config=":
			o.configFile = a[9:]
		case a == "--config-lint":
			o.configLint = true
		case a == "--version":
			o.version = true
		case a == "-h" || a == "--help":
			o.help = true
		case a == "help":
			o.help = true
		case a == "user" || a == "config" || a == "blocks" || a == "unblock" ||
			a == "who" || a == "kick" || a == "reload" || a == "stop" || a == "auth" || a == "mailbox":
			o.rest = args[i:]
			return o, nil
		case o.daemon && len(a) > 0 && a[0] >= '0' && a[0] <= '9':
			return nil, fmt.Errorf("-d %s: write the number of sessions without a space, as -d%s", a, a)
		default:
			return nil, fmt.Errorf("unknown option %q (see mailgate --help)", a)
		}
	}
	if o.daemon && o.inetd {
		return nil, fmt.Errorf("-d and -i exclude each other")
	}
	return o, nil
}
