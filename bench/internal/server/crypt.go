package server

import "github.com/GehirnInc/crypt/sha512_crypt"

// shaCrypt hashes a password with SHA-512-crypt at the default 5000
// rounds: what Dovecot's passwd-file and imap4d's virtdomain files hold,
// and what mailgate's users file accepts. The salt is fixed: the hash
// guards a throwaway benchmark account.
func shaCrypt(password string) (string, error) {
	return sha512_crypt.New().Generate([]byte(password), []byte("$6$mgbenchsalt$"))
}
