// Package proxyauth lets many mailgate nodes stand behind existing,
// well-known engines, each user's mail living on exactly one node:
//
//   - nginx's mail proxy asks AuthHTTP (its auth_http protocol) whether a
//     login is good and which node to connect the client to;
//   - Postfix asks Socketmap (its socketmap_table(5) protocol) which node
//     a recipient's mail goes to, and delivers there over LMTP.
//
// Both answer from one Owners map: a static owners file, user patterns
// per node, and rendezvous hashing over the nodes for everyone else, so
// that adding a node moves only the users that the new node wins.
//
// Design notes:
//
//   - AuthHTTP checks credentials with the gateway's authenticator chain
//     and its one login throttle, keyed on the Client-IP that nginx
//     passes, so a client blocked on a node's own IMAP port is blocked
//     through the proxy too, and the other way round.
//   - A failure never delays the HTTP answer: the throttle's delay goes
//     back to nginx as Auth-Wait, and nginx waits, holding no goroutine
//     of ours.
//   - Ownership is a pure function of the configuration and the owners
//     file; nothing is remembered per user, so any number of auth
//     endpoints with the same configuration agree.
package proxyauth
