package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/gateway"
	"golang.org/x/term"
)

// systemConfig is read when --config is not given, if it exists.
const systemConfig = config.SystemFile

// detachedEnv marks the process that detach started.
const detachedEnv = "MAILGATE_DETACHED"

// Exit codes.
const (
	exitOK     = 0
	exitFail   = 1
	exitUsage  = 2
	exitConfig = 78 // EX_CONFIG
)

func run(args []string) int {
	if len(args) >= 1 && len(args) <= 2 && args[0] == gateway.SessionProcessFlag {
		// A session the daemon handed over (session-process).
		return gateway.RunSessionProcess(args[1:])
	}
	if len(args) == 1 && args[0] == gateway.DeliveryProcessFlag {
		// An LMTP delivery the daemon runs with the recipient's identity.
		return gateway.RunDeliveryProcess()
	}
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailgate:", err)
		return exitUsage
	}
	switch {
	case o.help:
		fmt.Print(usage)
		return exitOK
	case o.version:
		fmt.Println("mailgate", gateway.Version)
		return exitOK
	}
	if len(o.rest) > 0 && o.rest[0] == "config" {
		return configCommand(o.rest[1:])
	}
	early := gateway.LogOptions{Stdio: o.inetd || o.preauth || o.test, Detached: os.Getenv(detachedEnv) != ""}
	cfg, err := loadConfig(o.configFile)
	if err != nil {
		complain(early, nil, err)
		return exitConfig
	}
	if o.configLint {
		return lint(cfg)
	}
	switch {
	case len(o.rest) > 0 && o.rest[0] == "user":
		return userCommand(cfg, o.rest[1:])
	case len(o.rest) > 0:
		return controlCommand(cfg, o.rest[0], o.rest[1:])
	}
	return serve(cfg, o)
}

// loadConfig reads --config, else the system file, else the embedded
// default.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		if _, err := os.Stat(systemConfig); err == nil {
			path = systemConfig
		}
	}
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

// lint runs the daemon's checks on a loaded configuration (config check
// and --config-lint).
func lint(cfg *config.Config) int {
	if err := gateway.Check(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitConfig
	}
	fmt.Println("mailgate: configuration OK")
	return exitOK
}

// complain reports err where it can be seen: on standard error when that
// is usable, else in the log (log may be nil: then syslog). Each line of
// a *config.Error is one problem with its file and line.
func complain(lo gateway.LogOptions, log *slog.Logger, err error) {
	if lo.StderrUsable() {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	if log == nil {
		l, lerr := gateway.OpenLog(config.Default().Logging, lo)
		if lerr != nil {
			return
		}
		defer l.Close()
		log = l.Logger()
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		log.Error("mailgate: " + line)
	}
}

// serve runs the gateway in the mode the flags and configuration ask for.
func serve(cfg *config.Config, o *options) int {
	stdinTerminal := term.IsTerminal(0)
	lo := gateway.LogOptions{
		Stdio:    o.inetd || o.preauth || o.test || (!o.daemon && cfg.Mode == "inetd"),
		Detached: os.Getenv(detachedEnv) != "",
	}
	// The checks run before detaching, so that a configuration the daemon
	// refuses is reported where it was started, with its lines.
	if err := gateway.Check(cfg); err != nil {
		complain(lo, nil, err)
		return exitConfig
	}
	// Under systemd's socket activation the sockets are this process's:
	// it serves them itself, in the foreground.
	activated := os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid())
	if !lo.Stdio && !o.foreground && !cfg.Foreground && !lo.Detached && !activated {
		return detach()
	}
	logs, err := gateway.OpenLog(cfg.Logging, lo)
	if err != nil {
		complain(lo, nil, err)
		return exitFail
	}
	defer logs.Close()
	log := logs.Logger()
	slog.SetDefault(log)
	if lo.Stdio {
		return serveStdio(cfg, o, lo, stdinTerminal, log)
	}
	gateway.TuneForFreshStart()
	if err := firstUser(cfg, lo, log); err != nil {
		return exitFail
	}
	g, err := gateway.New(cfg, gateway.Options{
		Logger:      log,
		MaxSessions: o.maxSessions,
		LoadConfig:  func() (*config.Config, error) { return loadConfig(o.configFile) },
		ReopenLog:   logs.Reopen,
	})
	if err != nil {
		return failed(lo, log, err)
	}
	warnNoUsers(g, cfg, lo, log)
	if cfg.PIDFile != "" {
		removePID, err := gateway.WritePIDFile(cfg.PIDFile)
		if err != nil {
			log.Error("mailgate: writing pidfile", "err", err)
			return exitFail
		}
		defer removePID()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// SIGHUP reopens the log file, for logrotate, reads the configuration
	// again and re-reads the certificate files, for certbot's deploy hook
	// (gateway.Reload); what does not load leaves what is in force, and
	// the log says why.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			log.Info("mailgate: SIGHUP: reloading")
			g.Reload() // it logs what went wrong
		}
	}()
	if path := os.Getenv("MAILGATE_CPUPROFILE"); path != "" {
		stopProfile, err := startCPUProfile(path)
		if err != nil {
			log.Error("mailgate: " + err.Error())
			return exitFail
		}
		defer stopProfile()
	}
	if err := g.Run(ctx); err != nil {
		log.Error("mailgate: " + err.Error())
		return exitFail
	}
	log.Info("mailgate: stopped")
	return exitOK
}

// failed reports an error of gateway.New: 78 with each problem's file
// and line for a configuration it refuses, 1 for anything else.
func failed(lo gateway.LogOptions, log *slog.Logger, err error) int {
	var cerr *config.Error
	if errors.As(err, &cerr) {
		complain(lo, log, err)
		return exitConfig
	}
	log.Error("mailgate: " + err.Error())
	return exitFail
}

// firstUser creates the first user on a fresh install and prints its
// password once, on standard error. Where standard error cannot be used
// (an inetd session whose fd 2 is the client's socket) no password is
// made up: it would have nowhere safe to go; the file is made, empty, and
// warnNoUsers says so once the gateway has read it.
func firstUser(cfg *config.Config, lo gateway.LogOptions, log *slog.Logger) error {
	if !lo.StderrUsable() {
		if err := gateway.EnsureUsersFile(cfg.UsersFile()); err != nil {
			log.Error("mailgate: "+err.Error(), "users-file", cfg.UsersFile())
			return err
		}
		return nil
	}
	password, err := gateway.EnsureUser(cfg.UsersFile())
	if err != nil {
		log.Error("mailgate: "+err.Error(), "users-file", cfg.UsersFile())
		return err
	}
	if password != "" {
		fmt.Fprintf(os.Stderr, "mailgate: first run: created user %q with password %q in %s\n"+
			"mailgate: change it with: mailgate user passwd %s\n",
			gateway.FirstUser, password, cfg.UsersFile(), gateway.FirstUser)
	}
	return nil
}

// warnNoUsers logs that the users file is empty where firstUser could
// not make a first user. It asks the file g has read rather than
// parsing it again: under inetd that is once a session, and a users file
// of 10,000 accounts takes about 15 ms to parse.
func warnNoUsers(g *gateway.Gateway, cfg *config.Config, lo gateway.LogOptions, log *slog.Logger) {
	if !lo.StderrUsable() && g.Users().Len() == 0 {
		log.Warn("mailgate: the users file has no users; add one with: mailgate user add NAME", "users-file", cfg.UsersFile())
	}
}

// serveStdio serves one session on standard input and output.
func serveStdio(cfg *config.Config, o *options, lo gateway.LogOptions, terminal bool, log *slog.Logger) int {
	gateway.TuneForFreshStart()
	if err := firstUser(cfg, lo, log); err != nil {
		return exitFail
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: log, Greeting: greeting(o, terminal), OneSession: true})
	if err != nil {
		return failed(lo, log, err)
	}
	warnNoUsers(g, cfg, lo, log)
	defer g.Close()
	c, err := gateway.StdioConn()
	if err != nil {
		log.Error("mailgate: " + err.Error())
		return exitFail
	}
	var pre *auth.User
	wantPre := o.preauth || cfg.Preauth == "stdio" || (terminal && !o.test)
	if ok, why := gateway.InvokerOnly(c); wantPre && !ok {
		// inetd's socket: anyone may be at the other end, and PREAUTH
		// would hand them the invoking user's mail (root's, under
		// inetd). imap4d preauthenticates only an interactive -i.
		if o.preauth {
			log.Error("mailgate: --preauth refused: standard input is "+why+", not the invoking user's own pipe or terminal", "uid", os.Getuid())
			return exitFail
		}
		log.Error("mailgate: no PREAUTH as the invoking user: standard input is "+why+", not the user's own pipe or terminal; the client must log in", "uid", os.Getuid())
		wantPre = false
	} else if wantPre && !terminal && !o.preauth && os.Getuid() == 0 {
		// preauth = "stdio" as root on a pipe or a socket of root's:
		// a relay (socat's EXEC, stunnel's exec=, a TLS wrapper in
		// front of an inetd service) runs as root too, and carries
		// whoever connects to it. Only a terminal, or --preauth typed
		// on the command line, says that root is at the other end.
		log.Error("mailgate: no PREAUTH as root from preauth = \"stdio\" on a pipe or socket (a relay may be carrying anyone); the client must log in (give --preauth on the command line to serve root on purpose)", "uid", 0)
		wantPre = false
	}
	if wantPre {
		u, err := user.Current()
		if err != nil {
			log.Error("mailgate: who is running me?", "err", err)
			return exitFail
		}
		pre = &auth.User{Name: u.Username, Home: u.HomeDir, UID: -1, GID: -1}
	}
	g.ServeConn(c, pre)
	return exitOK
}

func greeting(o *options, terminal bool) string {
	if o.test || (terminal && !o.preauth && !o.inetd) {
		return "IMAP4rev1 Test mode"
	}
	return ""
}

// detach starts mailgate again in a new session, in the background, and
// returns at once; the child serves. Its standard error leads nowhere, so
// it logs to syslog unless [logging] names a file.
func detach() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailgate: cannot detach:", err)
		return exitFail
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), detachedEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "mailgate: cannot detach:", err)
		return exitFail
	}
	fmt.Fprintf(os.Stderr, "mailgate: running in the background as process %d\n", cmd.Process.Pid)
	return exitOK
}

// startCPUProfile writes a CPU profile of the daemon to path until the
// returned function is called: MAILGATE_CPUPROFILE=path, for the benchmark
// harness and for anyone chasing a hotspot on a live server. "%p" in path
// stands for the process ID, so that restarts do not overwrite profiles.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(strings.ReplaceAll(path, "%p", strconv.Itoa(os.Getpid())))
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
