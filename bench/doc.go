// Package bench holds mailgate's benchmark harness, which compares
// mailgate with Dovecot and GNU imap4d on the same generated mailbox (see
// README.md in this directory). The code lives in internal/ (corpus,
// server, harness) and cmd/mailgate-bench; this package only has the test
// that runs the smoke comparison as part of go test ./...
package bench
