package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
	"golang.org/x/term"
)

// configCommand runs "mailgate config ...".
func configCommand(args []string) int {
	switch {
	case len(args) == 2 && args[0] == "check":
		cfg, err := config.Load(args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return exitConfig
		}
		return lint(cfg)
	case len(args) == 1 && args[0] == "default":
		os.Stdout.Write(config.DefaultFile())
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "usage: mailgate config check FILE | mailgate config default")
	return exitUsage
}

// reservedNames cannot be users: their default homes would clash with
// mailgate's own files in the data directory.
var reservedNames = map[string]bool{"users": true, "acme": true, "tls": true, "lost+found": true}

// userCommand runs "mailgate user ...".
func userCommand(cfg *config.Config, args []string) int {
	path := cfg.UsersFile()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: mailgate user add|passwd|del|list ...")
		return exitUsage
	}
	verb, args := args[0], args[1:]
	fromStdin, scram := false, false
	var home, name string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--password-stdin":
			fromStdin = true
		case a == "--scram":
			scram = true
		case a == "--home" && i+1 < len(args):
			i++
			home = args[i]
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(os.Stderr, "mailgate user %s: unknown option %q\n", verb, a)
			return exitUsage
		case name == "":
			name = a
		default:
			fmt.Fprintf(os.Stderr, "mailgate user %s: unexpected argument %q\n", verb, a)
			return exitUsage
		}
	}
	var err error
	switch verb {
	case "list":
		var users []auth.User
		if users, err = auth.ListUsers(path); err == nil {
			for _, u := range users {
				h := u.Home
				if h == "" {
					h = cfg.DataDir + "/" + u.Name + " (default)"
				}
				fmt.Printf("%s\t%s\n", u.Name, h)
			}
		}
	case "add", "passwd":
		if name == "" {
			fmt.Fprintf(os.Stderr, "usage: mailgate user %s NAME [--password-stdin] [--scram]\n", verb)
			return exitUsage
		}
		if reservedNames[name] {
			fmt.Fprintf(os.Stderr, "mailgate: %q is reserved for mailgate's own files; choose another name\n", name)
			return exitUsage
		}
		var password string
		if password, err = readPassword(fromStdin); err == nil {
			// --scram stores SCRAM-SHA-256 keys, which SCRAM needs, in
			// place of the default bcrypt hash.
			switch {
			case verb == "add":
				err = auth.AddUser(path, name, password, &auth.UserOptions{Home: home, SCRAM: scram})
			case scram:
				err = auth.SetSCRAMPassword(path, name, password)
			default:
				err = auth.SetPassword(path, name, password)
			}
		}
	case "del":
		if name == "" {
			fmt.Fprintln(os.Stderr, "usage: mailgate user del NAME")
			return exitUsage
		}
		err = auth.DeleteUser(path, name)
	default:
		fmt.Fprintf(os.Stderr, "mailgate: unknown user command %q (add, passwd, del, list)\n", verb)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailgate:", err)
		return exitFail
	}
	if verb != "list" {
		fmt.Fprintf(os.Stderr, "mailgate: %s: done (%s)\n", verb, path)
	}
	return exitOK
}

// readPassword reads a new password from standard input (one line) or,
// on a terminal, asks for it twice without echo.
func readPassword(fromStdin bool) (string, error) {
	if fromStdin || !term.IsTerminal(0) {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(os.Stderr, "Password: ")
	p1, err := term.ReadPassword(0)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(os.Stderr, "Again: ")
	p2, err := term.ReadPassword(0)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", err
	}
	if string(p1) != string(p2) {
		return "", errors.New("the passwords differ")
	}
	return string(p1), nil
}

// controlCommand runs "mailgate blocks" and "mailgate unblock ...", and
// the commands of opsCommand, which ask the running daemon over its
// control socket in the data directory.
func controlCommand(cfg *config.Config, verb string, args []string) int {
	if code, ok := opsCommand(cfg, verb, args); ok {
		return code
	}
	socket := gateway.ControlSocket(cfg.DataDir)
	switch {
	case verb == "blocks" && len(args) == 0:
		return controlTable(socket, "no logins are blocked", "ADDRESS\tUSER\tUNTIL\tFAILURES\tUSERS TRIED", func(r []string) []string {
			if r[1] == "" {
				r[1] = "*" // every user from the address
			}
			r[2] = localTime(r[2])
			return r
		}, "blocks")
	case verb == "unblock" && len(args) == 1 && args[0] == "--all":
		args = []string{"*"}
	case verb == "unblock" && (len(args) == 1 || len(args) == 2) && !strings.HasPrefix(args[0], "-") && args[0] != "*":
	default:
		fmt.Fprintln(os.Stderr, "usage: mailgate blocks | mailgate unblock ADDRESS [USER] | mailgate unblock --all")
		return exitUsage
	}
	_, text, err := gateway.ControlRequest(socket, "unblock", args...)
	if err != nil {
		return complainControl(err)
	}
	what := strings.Join(args, " ")
	if args[0] == "*" {
		what = "every address"
	}
	if text == "0" && args[0] != "*" {
		fmt.Fprintf(os.Stderr, "mailgate: no block was in force for %s\n", what)
		return exitFail
	}
	fmt.Printf("mailgate: lifted %s block(s) for %s\n", text, what)
	return exitOK
}
