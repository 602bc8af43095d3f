// Package config reads mailgate's TOML configuration: the schema, the
// built-in defaults, strict decoding and validation.
//
// The keys follow GNU imap4d's configuration statements in kebab-case (see
// design.md, "Configuration contract"). A few keys are mailgate's own and
// say so in their doc comments: data-dir, the per-listener limits in
// [[server]] (allow-plaintext, max-line-length, max-literal-size,
// max-connections-per-address, max-auth-failures, and a listener's own
// certificate-file, key-file and ca-file), the [tls.acme] table and the
// [[acl]] entries.
//
// The TLS tables are checked with tlsmgr's own rules ([Config.TLSOptions],
// [Config.TLSProblems]); [[server]] tls-mode is parsed here, once, into
// the tlsmgr.Mode that the gateway and the frontends use.
//
// # Reading a file
//
// [Load] and [Parse] decode a file on top of [Default], so that every key
// the file leaves out keeps the value the embedded reference file
// ([DefaultFile]) shows. Each [[server]] or namespace prefix that the file
// defines starts from the per-entry defaults documented on [Server] and
// [Prefix].
//
// Decoding is strict. An unknown key, a value of the wrong TOML type and a
// value that fails validation are all reported, together, in one [*Error]
// whose [Problem] entries name the file and line:
//
//	mailgate.toml:12: unknown key "servr" (did you mean "server"?)
//	mailgate.toml:15: server.tls-mode: "tcp" is not valid; want "no", "ondemand", "required" or "connection"
//
// # Value forms
//
// Durations are Go duration strings ("30m", "1s"). Sizes ([Size]) are an
// integer number of bytes or a string with a unit ("64KiB"). home-dir-mode
// ([OctalMode]) is an octal string ("700"); mailbox-mode ([MailboxMode]) is
// imap4d's chmod-like "g=rw,o=r". Paths in mailbox-pattern and in namespace
// directories may hold $user, ${user}, $home and ${home} ([Expand]).
//
// The package keeps no mutable package-level state: every [Config] is its
// own value, and [Default] builds a fresh one on each call.
package config
