package gateway

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mailgate/mailgate/auth"
)

// FirstUser is the user that EnsureUser creates on a first run.
const FirstUser = "mailgate"

// EnsureUser creates a first user with a random password when the users
// file does not exist or holds no users, so that a fresh install can be
// used at once. It returns the password it set, or "" when users existed.
func EnsureUser(usersFile string) (password string, err error) {
	has, err := auth.HasUsers(usersFile)
	if err != nil {
		return "", err
	}
	if has {
		return "", nil
	}
	password = auth.GeneratePassword()
	if err := auth.AddUser(usersFile, FirstUser, password, nil); err != nil {
		return "", fmt.Errorf("creating the first user: %w", err)
	}
	return password, nil
}

// EnsureUsersFile creates an empty users file, and the directory it is
// in, when there is none: for a process that must serve without making up
// a first user (an inetd session, whose standard error is no place for a
// password).
func EnsureUsersFile(usersFile string) error {
	if err := os.MkdirAll(filepath.Dir(usersFile), 0o700); err != nil {
		return fmt.Errorf("creating the users file: %w", err)
	}
	f, err := os.OpenFile(usersFile, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("creating the users file: %w", err)
	}
	return f.Close()
}
