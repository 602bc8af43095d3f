package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"time"
)

// DefaultProgramTimeout is how long an external program (a preauth
// program, a token introspection command) may run when its Timeout is
// zero.
const DefaultProgramTimeout = 10 * time.Second

// Limits on what an external program may print: its answer is one line,
// and its standard error goes to the log.
const (
	maxProgramOutput = 4 << 10
	maxProgramStderr = 8 << 10
)

// Program is an external program that mailgate runs directly, with an
// argument vector and never through a shell, so that nothing a client
// sends can become a shell command. It runs in a process group of its
// own, which is killed whole when Timeout expires.
type Program struct {
	// Path is the program's absolute path.
	Path string
	// Timeout bounds each run; DefaultProgramTimeout when zero.
	Timeout time.Duration
	// Logger receives the program's standard error, line by line, and
	// why a run failed; slog.Default() when nil.
	Logger *slog.Logger
}

// errProgramFailed is a program that ran and exited non-zero.
var errProgramFailed = errors.New("program exited with a failure status")

// answer runs the program with args and stdin and returns the first
// line of its standard output. A program that exits non-zero gives
// errProgramFailed; one that cannot be started, times out or is killed
// by a signal gives an error wrapping ErrUnavailable.
func (p *Program) answer(ctx context.Context, args []string, stdin string) (string, error) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultProgramTimeout
	}
	log := p.Logger
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.Path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	stdout := &cappedBuffer{max: maxProgramOutput}
	stderr := &cappedBuffer{max: maxProgramStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	ownProcessGroup(cmd)
	// Children that inherited the pipes must not hold the run open.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n") {
		if line != "" {
			log.Warn("auth: program's standard error", "program", p.Path, "line", line)
		}
	}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("%w: %s did not finish within %v; it was killed", ErrUnavailable, p.Path, timeout)
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return "", fmt.Errorf("%s: %w (%d)", p.Path, errProgramFailed, exit.ExitCode())
	case err != nil:
		return "", fmt.Errorf("%w: %s: %v", ErrUnavailable, p.Path, err)
	}
	line, _, _ := strings.Cut(stdout.String(), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// cappedBuffer keeps the first max bytes written to it and drops the
// rest, so that a program printing without end costs no memory.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// CommandTokens is a TokenVerifier that asks a program: the token is
// written to its standard input (never its arguments, which any local
// user can read in the process list); the program prints the user name
// the token belongs to and exits 0, or exits non-zero for a token that
// does not log in.
type CommandTokens struct {
	Program
	// Args are the program's arguments.
	Args []string
}

// Verify implements TokenVerifier.
func (c *CommandTokens) Verify(ctx context.Context, token string) (string, error) {
	name, err := c.answer(ctx, c.Args, token+"\n")
	switch {
	case errors.Is(err, errProgramFailed):
		return "", fmt.Errorf("%w: token refused by %v", ErrBadCredentials, err)
	case err != nil:
		return "", err
	case name == "":
		return "", fmt.Errorf("%w: %s accepted the token but printed no user name", ErrBadCredentials, c.Path)
	}
	return name, nil
}
