package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
	"golang.org/x/term"
)

// opsUsage is the usage line of the commands that operate the daemon.
const opsUsage = `usage: mailgate who | kick USER|ADDRESS | reload | stop
       mailgate auth test USER
       mailgate mailbox status USER [MAILBOX] | mailbox resync USER MAILBOX`

// opsCommand runs the commands that operate a running daemon over its
// control socket (gateway/controlops.go): who, kick, reload, stop, auth
// test, mailbox status and mailbox resync. It reports false for any other
// command.
func opsCommand(cfg *config.Config, verb string, args []string) (int, bool) {
	socket := gateway.ControlSocket(cfg.DataDir)
	var code int
	switch {
	case verb == "who" && len(args) == 0:
		code = who(socket)
	case verb == "kick" && len(args) == 1 && args[0] != "" && !strings.HasPrefix(args[0], "-"):
		_, text, err := gateway.ControlRequest(socket, "kick", args[0])
		if err != nil {
			return complainControl(err), true
		}
		fmt.Printf("mailgate: disconnected %s session(s) of %s\n", text, args[0])
	case verb == "reload" && len(args) == 0:
		rows, _, err := gateway.ControlRequest(socket, "reload")
		if err != nil {
			return complainControl(err), true
		}
		fmt.Println("mailgate: the configuration is reloaded")
		for _, r := range rows {
			fmt.Printf("mailgate: %s changed; the change waits for a restart\n", r[0])
		}
	case verb == "stop" && len(args) == 0:
		if _, _, err := gateway.ControlRequest(socket, "stop"); err != nil {
			return complainControl(err), true
		}
		fmt.Println("mailgate: the daemon is stopping; sessions hear BYE")
	case verb == "auth" && len(args) == 2 && args[0] == "test":
		code = authTest(socket, args[1])
	case verb == "mailbox" && ((len(args) == 2 || len(args) == 3) && args[0] == "status" || len(args) == 3 && args[0] == "resync"):
		code = mailboxCommand(socket, "mailbox-"+args[0], args[1:])
	case verb == "who" || verb == "kick" || verb == "reload" || verb == "stop" || verb == "auth" || verb == "mailbox":
		fmt.Fprintln(os.Stderr, opsUsage)
		return exitUsage, true
	default:
		return 0, false
	}
	return code, true
}

// complainControl reports a control request that failed.
func complainControl(err error) int {
	fmt.Fprintln(os.Stderr, "mailgate:", err)
	return exitFail
}

// who prints the live sessions.
func who(socket string) int {
	return controlTable(socket, "no sessions", "ID\tUSER\tADDRESS\tFRONTEND\tMAILBOX\tSINCE\tPROCESS", func(r []string) []string {
		pid := r[6]
		if pid == "0" {
			pid = "daemon"
		}
		return []string{r[0], dash(r[3]), r[2], r[1], dash(r[4]), localTime(r[5]), pid}
	}, "who")
}

// controlTable asks the running daemon for request and prints the rows
// of its reply as a table under header (tab-separated column names):
// each row, padded to the header's columns, as cells shapes it (nil:
// as it came). A reply with no rows is said as empty on standard error,
// when empty is set.
func controlTable(socket, empty, header string, cells func(r []string) []string, request string, args ...string) int {
	rows, _, err := gateway.ControlRequest(socket, request, args...)
	if err != nil {
		return complainControl(err)
	}
	if len(rows) == 0 && empty != "" {
		fmt.Fprintln(os.Stderr, "mailgate:", empty)
		return exitOK
	}
	columns := strings.Count(header, "\t") + 1
	tw := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		if len(r) < columns {
			r = append(r, make([]string, columns-len(r))...)
		}
		if cells != nil {
			r = cells(r)
		}
		fmt.Fprintln(tw, strings.Join(r[:columns], "\t"))
	}
	tw.Flush()
	return exitOK
}

// localTime shows a control reply's RFC 3339 time in local time, or as
// it came when it is not one.
func localTime(s string) string {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.Local().Format("2006-01-02 15:04:05")
	}
	return s
}

// dash shows an empty field as "-".
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// authTest asks for user's password (without echo on a terminal, else
// one line of standard input) and has the daemon check it.
func authTest(socket, user string) int {
	password, err := readOnePassword()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailgate:", err)
		return exitFail
	}
	rows, by, err := gateway.ControlRequest(socket, "auth-test", user, password)
	var refused *gateway.ControlError
	switch {
	case errors.As(err, &refused):
		fmt.Fprintf(os.Stderr, "mailgate: refused: %s\n", refused.Text)
		return exitFail
	case err != nil:
		return complainControl(err)
	}
	fmt.Printf("mailgate: %s: password accepted by the %s back-end\n", user, by)
	if len(rows) > 0 && len(rows[0]) >= 4 {
		fmt.Printf("mailgate: user %s, home %s, uid %s\n", rows[0][1], dash(rows[0][2]), rows[0][3])
	}
	return exitOK
}

// readOnePassword reads a password from the terminal without echo, or
// one line from standard input when it is not a terminal.
func readOnePassword() (string, error) {
	if !term.IsTerminal(0) {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(os.Stderr, "Password: ")
	p, err := term.ReadPassword(0)
	fmt.Fprintln(os.Stderr)
	return string(p), err
}

// mailboxCommand runs mailbox status and mailbox resync.
func mailboxCommand(socket, verb string, args []string) int {
	code := controlTable(socket, "", "MAILBOX\tMESSAGES\tUNSEEN\tUIDNEXT\tUIDVALIDITY\tHIGHESTMODSEQ\tSIZE\tFORMAT\tPATH", nil, verb, args...)
	if code == exitOK && verb == "mailbox-resync" {
		fmt.Fprintln(os.Stderr, "mailgate: caches and index dropped, mailbox read again (UIDs and modseqs kept)")
	}
	return code
}
