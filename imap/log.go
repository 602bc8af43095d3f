package imap

import (
	"context"
	"log/slog"
)

// sessionLog is the handler of a session's logger. It adds the session's
// attributes (conn, remote, and user once logged in) to each record as
// the record is logged. Logger.With would format them ahead, into a
// buffer and a handler of their own for every session, which costs a
// quarter of a kilobyte for each connection idling in the thousands,
// most of which never log again.
type sessionLog struct{ s *session }

func (h sessionLog) attrs() []slog.Attr {
	a := []slog.Attr{slog.Uint64("conn", h.s.id), slog.String("remote", h.s.remoteText)}
	if h.s.user != nil {
		a = append(a, slog.String("user", h.s.user.Name))
	}
	return a
}

func (h sessionLog) Enabled(ctx context.Context, level slog.Level) bool {
	return h.s.srv.log.Enabled(ctx, level)
}

func (h sessionLog) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(slog.Uint64("conn", h.s.id), slog.String("remote", h.s.remoteText))
	if h.s.user != nil {
		out.AddAttrs(slog.String("user", h.s.user.Name))
	}
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(a)
		return true
	})
	return h.s.srv.log.Handler().Handle(ctx, out)
}

func (h sessionLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.s.srv.log.Handler().WithAttrs(h.attrs()).WithAttrs(attrs)
}

func (h sessionLog) WithGroup(name string) slog.Handler {
	return h.s.srv.log.Handler().WithAttrs(h.attrs()).WithGroup(name)
}
