package imap

import (
	"slices"
	"strings"

	"github.com/mailgate/mailgate/imap/internal/sortthread"
	"github.com/mailgate/mailgate/imap/internal/wire"
)

// threadAlgorithms are the THREAD algorithms this server knows (RFC 5256
// section 4), as CAPABILITY names them after "THREAD=".
var threadAlgorithms = []string{"ORDEREDSUBJECT", "REFERENCES", "REFS"}

// cmdThread: RFC 5256 section 4 (THREAD and UID THREAD), and REFS
// (sortthread.Refs).
func (s *session) cmdThread(tag string, uid bool) error {
	if err := s.d.SP(); err != nil {
		return err
	}
	alg, err := s.d.Atom()
	if err != nil {
		return err
	}
	alg = strings.ToUpper(alg)
	if !slices.Contains(threadAlgorithms, alg) {
		return &wire.SyntaxError{Msg: "unknown threading algorithm " + sanitize(alg)}
	}
	search, err := s.parseSortSearch()
	if err != nil {
		return err
	}
	found := s.sortedSearch(search, needSubject|needMessageID|needRefs)
	if err := s.takeSearchErr(); err != nil {
		return err
	}
	msgs := make([]sortthread.Message, len(found))
	for i := range found {
		e := &found[i]
		id := e.seq
		if uid {
			id = e.uid
		}
		msgs[i] = sortthread.Message{
			ID: id, Date: e.sentDate(), Subject: e.keys.subject, Reply: e.keys.reply,
			MessageID: e.keys.messageID, References: e.keys.refs,
		}
	}
	var roots []*sortthread.Node
	switch alg {
	case "ORDEREDSUBJECT":
		roots = sortthread.OrderedSubject(msgs)
	case "REFERENCES":
		roots = sortthread.References(msgs)
	default:
		roots = sortthread.Refs(msgs)
	}
	s.e.Raw("* THREAD")
	if len(roots) > 0 {
		s.e.SP().Bytes(sortthread.AppendThreads(nil, roots, msgs))
	}
	s.e.CRLF()
	return nil
}
