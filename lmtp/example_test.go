package lmtp_test

import (
	"context"
	"log"
	"strings"
	"time"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/lmtp"
	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/maildir"
)

// Example shows what a host (the gateway) wires: a recipient lookup on
// its auth back-ends, the same Store as its IMAP frontend, one listener
// per [lmtp] listen entry, and Close before the Store at shutdown.
func Example() {
	users, err := auth.LoadUsersFile("/etc/mailgate/users", "/var/lib/mailgate", nil)
	if err != nil {
		log.Fatal(err)
	}
	store := storage.New(storage.Options{Drivers: []storage.Driver{maildir.New()}})
	layout := &storage.Layout{Inbox: "maildir:$home/Maildir"}
	srv := lmtp.New(&lmtp.Options{
		Lookup: func(_ context.Context, local, domain string) (*auth.User, error) {
			if domain != "" && !strings.EqualFold(domain, "example.org") {
				return nil, nil // not a domain of ours
			}
			u, _ := users.Lookup(local)
			return u, nil
		},
		Account: func(_ context.Context, u *auth.User) (*storage.Account, error) {
			return store.Account(storage.User{Name: u.Name, Home: u.Home}, layout), nil
		},
		Hostname:           "mail.example.org",
		RecipientDelimiter: "+",
		DetailMailbox:      true,
	})
	for _, l := range []lmtp.ListenConfig{
		{Address: "/run/mailgate/lmtp.sock", Mode: 0o660, Group: "postfix"},
		{Address: "127.0.0.1:2424"},
	} {
		ln, err := lmtp.Listen(l)
		if err != nil {
			log.Fatal(err)
		}
		go srv.Serve(ln)
	}
	// ... until the host shuts down:
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv.Close(ctx) // closes the listeners, removes the socket file
	store.Close()
}
