package gateway

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/mailgate/mailgate/auth"
)

// FirstUser is the user that EnsureUser creates on a first run.
const FirstUser = "mailgate"

// EnsureUser creates a first user with a random password when the users
// file does not exist or holds no users, so that a fresh install can be
// used at once. It returns the password it set, or "" when users existed.
func EnsureUser(usersFile string) (password string, err error) {
	users, err := auth.ListUsers(usersFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if len(users) > 0 {
		return "", nil
	}
	password = auth.GeneratePassword()
	if err := auth.AddUser(usersFile, FirstUser, password, nil); err != nil {
		return "", fmt.Errorf("creating the first user: %w", err)
	}
	return password, nil
}
