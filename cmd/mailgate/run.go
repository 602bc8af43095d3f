package main

import (
	"context"
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

// Exit codes.
const (
	exitOK     = 0
	exitFail   = 1
	exitUsage  = 2
	exitConfig = 78 // EX_CONFIG
)

func run(args []string) int {
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
	cfg, err := loadConfig(o.configFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return exitConfig
	}
	if o.configLint {
		fmt.Println("mailgate: configuration OK")
		return exitOK
	}
	if len(o.rest) > 0 {
		return userCommand(cfg, o.rest[1:])
	}
	log := newLogger(cfg)
	slog.SetDefault(log)
	return serve(cfg, o, log)
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

func newLogger(cfg *config.Config) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.Logging.Level.SlogLevel()}))
}

// serve runs the gateway in the mode the flags and configuration ask for.
func serve(cfg *config.Config, o *options, log *slog.Logger) int {
	stdinTerminal := term.IsTerminal(0)
	stdio := o.inetd || o.preauth || o.test || (!o.daemon && cfg.Mode == "inetd")
	if stdio {
		return serveStdio(cfg, o, stdinTerminal, log)
	}
	if !o.foreground && !cfg.Foreground && os.Getenv("MAILGATE_DETACHED") == "" {
		return detach()
	}
	if cfg.Preauth != "" && cfg.Preauth != "stdio" {
		log.Error("mailgate: preauth " + cfg.Preauth + " is not implemented yet; remove it from the configuration")
		return exitConfig
	}
	if err := firstUser(cfg, log); err != nil {
		return exitFail
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: log, MaxSessions: o.maxSessions})
	if err != nil {
		log.Error("mailgate: " + err.Error())
		return exitFail
	}
	if cfg.PIDFile != "" {
		if err := os.WriteFile(cfg.PIDFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			log.Error("mailgate: writing pidfile", "err", err)
			return exitFail
		}
		defer os.Remove(cfg.PIDFile)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
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

// firstUser creates the first user on a fresh install and prints its
// password once, on standard error.
func firstUser(cfg *config.Config, log *slog.Logger) error {
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

// serveStdio serves one session on standard input and output.
func serveStdio(cfg *config.Config, o *options, terminal bool, log *slog.Logger) int {
	if err := firstUser(cfg, log); err != nil {
		return exitFail
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: log, Greeting: greeting(o, terminal)})
	if err != nil {
		log.Error("mailgate: " + err.Error())
		return exitFail
	}
	defer g.Close()
	var pre *auth.User
	if o.preauth || cfg.Preauth == "stdio" || (terminal && !o.test) {
		u, err := user.Current()
		if err != nil {
			log.Error("mailgate: who is running me?", "err", err)
			return exitFail
		}
		pre = &auth.User{Name: u.Username, Home: u.HomeDir, UID: -1, GID: -1}
	}
	c, err := gateway.StdioConn()
	if err != nil {
		log.Error("mailgate: " + err.Error())
		return exitFail
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
// returns at once; the child serves.
func detach() int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailgate: cannot detach:", err)
		return exitFail
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), "MAILGATE_DETACHED=1")
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
