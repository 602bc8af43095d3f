package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// PreauthConn is what a preauth method knows of the connection it
// authenticates: both ends. An address is invalid for a session on
// pipes.
type PreauthConn struct {
	Client netip.AddrPort
	Server netip.AddrPort
}

// Preauthenticator logs a connection in before the client says anything
// (the seed's preauth statement): the greeting is then "* PREAUTH".
//
// Preauthenticate returns the user, or an error wrapping ErrNoIdentity
// when the method found nobody (the client may still log in with a
// password), ErrBadCredentials when it named someone who may not log in
// (an unknown user, an ident reply that does not decrypt), ErrBlocked
// when the Throttle refuses, or ErrUnavailable when the method could not
// run. It calls att.Begin with the name found before looking the user up.
type Preauthenticator interface {
	Preauthenticate(ctx context.Context, c PreauthConn, att *Attempt) (*User, error)
}

// ProgramPreauth is preauth by an external program (preauth =
// "prog:///path args"): the program prints the user name on its standard
// output and exits 0 to log the connection in; any other exit status
// logs nobody in. Its standard error goes to the log.
type ProgramPreauth struct {
	Program
	// Args are the program's arguments, which may refer to
	// ${client_address}, ${client_port}, ${server_address} and
	// ${server_port}.
	Args []string
	// Expand replaces those references in one argument; each argument
	// stays one argument whatever its value. Nil leaves them as written.
	Expand func(arg string, vars map[string]string) string
	// Users finds the user the program names.
	Users Identifier
}

// PreauthVariables returns the variables a preauth program's arguments
// may use, with their values for connection c: addresses in their usual
// text form, "" for an end that has none.
func PreauthVariables(c PreauthConn) map[string]string {
	vars := map[string]string{}
	for _, end := range []struct {
		prefix string
		ap     netip.AddrPort
	}{{"client", c.Client}, {"server", c.Server}} {
		vars[end.prefix+"_address"], vars[end.prefix+"_port"] = "", ""
		if end.ap.IsValid() {
			vars[end.prefix+"_address"] = end.ap.Addr().Unmap().String()
			vars[end.prefix+"_port"] = strconv.Itoa(int(end.ap.Port()))
		}
	}
	return vars
}

// Preauthenticate implements Preauthenticator.
func (p *ProgramPreauth) Preauthenticate(ctx context.Context, c PreauthConn, att *Attempt) (*User, error) {
	args := make([]string, len(p.Args))
	vars := PreauthVariables(c)
	for i, a := range p.Args {
		args[i] = a
		if p.Expand != nil {
			args[i] = p.Expand(a, vars)
		}
	}
	name, err := p.answer(ctx, args, "")
	switch {
	case errors.Is(err, errProgramFailed):
		return nil, fmt.Errorf("preauth: %w: %v", ErrNoIdentity, err)
	case err != nil:
		return nil, fmt.Errorf("preauth: %w", err)
	case name == "":
		return nil, fmt.Errorf("preauth: %w: %s exited 0 but printed no user name", ErrNoIdentity, p.Path)
	}
	return preauthUser(ctx, att, p.Users, name)
}

// preauthUser is the end of every preauth method: the throttle, then the
// user named.
func preauthUser(ctx context.Context, att *Attempt, users Identifier, name string) (*User, error) {
	if err := att.Begin(name); err != nil {
		return nil, err
	}
	if err := CheckUserName(name); err != nil {
		return nil, fmt.Errorf("preauth: %w: %v", ErrBadCredentials, err)
	}
	u, err := users.Identify(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("preauth: %w", err)
	}
	return u, nil
}
