// Package tlsmgr holds mailgate's certificates: static files, checked as
// GNU imap4d checks them and reloaded when they change, and certificates
// obtained and renewed automatically with ACME through certmagic. Frontends
// take a *tls.Config from it; it imports nothing of mailgate's. It also
// names how a listener uses TLS (Mode, imap4d's tls-mode), the one value
// the configuration, the gateway and every frontend share, and reports
// each refused option as an *OptionError naming it, for a configuration
// reader to point at its line. Package tlsmgrtest runs an ACME server
// (Pebble) and a certificate authority for tests.
//
// # Lifecycle
//
//   - New validates the Options, runs the file checks ([tls-file-checks])
//     on the certificate, key and CA files, and loads them. A refused file
//     is an error naming the file and the check ("key.pem: Group readable
//     file (tls-file-checks grdfil)"). New starts nothing.
//   - TLSConfig may be called at any time, before Start too: the config
//     chooses the certificate at each handshake (GetCertificate), so a
//     listener built once sees every reload and renewal.
//   - Start begins the background work: an fsnotify watch on the static
//     files' directories, and with ACME, certmagic's cache (renewals and
//     OCSP staples) and the loading or obtaining of the managed domains'
//     certificates. Obtaining happens in the background; until it is done
//     the static certificate, if any, is served instead.
//   - Reload (SIGHUP) re-reads the static files; so does a change to them,
//     after a 250 ms pause that lets a certificate and its key both land.
//     A change is an event on a file's name or on a symbolic link leading
//     to it (certbot's live/ links, a Kubernetes secret's ..data), or on
//     a directory holding one (watched in its parent, so that a directory
//     replaced or made again is seen); other files in the same
//     directories, such as a log, are not looked at. Once a minute the
//     files' identities are compared with those last read, for what
//     inotify does not report. A failure that repeats is logged once,
//     until it changes or the files load again.
//   - Renew forces the renewal of the managed certificates (an
//     administrator's command); certmagic renews them by itself when due.
//   - Stop ends the background work and waits for it; cancelling Start's
//     context does the same. Handshakes keep getting the last
//     certificates after Stop.
//
// # Concurrency invariants
//
//   - The static files in use are one immutable value behind an atomic
//     pointer. A reload builds a complete new value (checks, pair, CA
//     pool) and swaps it in only if everything loaded; otherwise the old
//     one stays and the error is logged and returned. Reloads are
//     serialized by one mutex; handshakes never take it.
//   - A handshake reads the pointers once and never blocks on a reload or
//     a renewal, except an on-demand issuance, which blocks only the
//     handshake asking for that name.
//   - Open connections are never touched: a reload or renewal changes
//     only what new handshakes get. The client CA pool, which a tls.Config
//     holds in a field, is put into a per-handshake copy of the config
//     (GetConfigForClient).
//   - certmagic is never configured through its package-level defaults:
//     each Manager has its own cache and configurations. Its challenge
//     solvers are process-wide in certmagic, keyed by listen address.
//   - certmagic never reads standard input: the email is required and the
//     CA's terms are agreed to in code.
//
// # Choosing the certificate
//
// A TLS-ALPN-01 challenge gets its challenge certificate; a hello that
// offers only "acme-tls/1" when no challenge for its name is under way is
// a probe, refused with no more than a debug line. A name ACME
// manages gets the ACME certificate; a client that sends no name gets the
// default server name's (the first domain). Other names get the static
// certificate, or an on-demand one if the decision function allows the
// name and OnDemandLimits leave room for it, or else the default name's,
// at once: a client asking for an unknown name gets a certificate and
// decides, as it would with imap4d's single one.
//
// # ALPN
//
// TLSConfig("imap") offers "imap" and, with TLS-ALPN-01 on, "acme-tls/1",
// so that the IMAPS listener itself can answer the challenge when port
// 443 reaches it. certmagic's own TLSConfig offers only "acme-tls/1", and
// Go refuses a client whose ALPN list shares nothing with the server's.
package tlsmgr
