package corpus

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Format is an on-disk mailbox format.
type Format int

const (
	Maildir Format = iota
	Mbox
)

// Target is one server's copy of the mailbox.
type Target struct {
	Format Format
	// Path is the maildir (the directory holding cur, new and tmp) or the
	// mbox file.
	Path string
	// MuProp writes .mu-prop (GNU imap4d's and mailgate's UID counters);
	// UIDList writes dovecot-uidlist. Either way the UIDs are the
	// corpus's: the ",u=" field of every file name carries it.
	MuProp, UIDList bool
	// UID and GID own everything written, and the directory holding
	// Path, when UID >= 0.
	UID, GID int
}

// Write generates every message once and stores it in each target. A
// maildir target gets hard links to the files of the first maildir target
// with the same owner (the servers rename message files but never rewrite
// them), so N messages cost their size once per owner of maildirs, plus
// once per mbox. Targets of different owners never share a file: a file
// of another user is not a server's own (mailgate's COPY copies such a
// file rather than linking it, as it must), so sharing would measure the
// wrong thing. progress, when set, is called every 1000 messages.
func (c *Corpus) Write(targets []Target, progress func(done int)) (err error) {
	w := &writer{c: c}
	for i := range targets {
		t := &targets[i]
		switch t.Format {
		case Maildir:
			for _, d := range []string{"cur", "new", "tmp"} {
				if err := os.MkdirAll(filepath.Join(t.Path, d), 0o700); err != nil {
					return err
				}
			}
			if t.UIDList {
				f, err := os.Create(filepath.Join(t.Path, "dovecot-uidlist"))
				if err != nil {
					return err
				}
				bw := bufio.NewWriterSize(f, 1<<16)
				fmt.Fprintf(bw, "3 V%d N%d G%016x%016x\n", c.Spec.UIDValidity, c.Spec.N+1, c.Spec.Seed, uint64(c.Spec.UIDValidity))
				w.uidlists = append(w.uidlists, fileWriter{f, bw})
			}
		case Mbox:
			if err := os.MkdirAll(filepath.Dir(t.Path), 0o700); err != nil {
				return err
			}
			f, err := os.OpenFile(t.Path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			w.mboxes = append(w.mboxes, fileWriter{f, bufio.NewWriterSize(f, 1<<20)})
		}
	}
	defer func() {
		for _, fw := range append(w.uidlists, w.mboxes...) {
			if e := fw.close(); err == nil {
				err = e
			}
		}
	}()
	for uid := uint32(1); uid <= uint32(c.Spec.N); uid++ {
		if err := w.add(targets, uid); err != nil {
			return err
		}
		if progress != nil && uid%1000 == 0 {
			progress(int(uid))
		}
	}
	for _, t := range targets {
		if t.Format == Maildir && t.MuProp {
			prop := fmt.Sprintf("uidnext: %d\nuid-validity: %d\nversion: 3.15\n", c.Spec.N+1, c.Spec.UIDValidity)
			if err := os.WriteFile(filepath.Join(t.Path, ".mu-prop"), []byte(prop), 0o600); err != nil {
				return err
			}
		}
	}
	for _, fw := range append(w.uidlists, w.mboxes...) {
		if err := fw.close(); err != nil {
			return err
		}
	}
	w.uidlists, w.mboxes = nil, nil
	for _, t := range targets {
		if t.UID >= 0 {
			if err := chownAll(t.Path, t.UID, t.GID); err != nil {
				return err
			}
		}
	}
	return nil
}

type fileWriter struct {
	f  *os.File
	bw *bufio.Writer
}

func (fw fileWriter) close() error {
	if fw.f == nil {
		return nil
	}
	err := fw.bw.Flush()
	if e := fw.f.Close(); err == nil && !errors.Is(e, os.ErrClosed) {
		err = e
	}
	return err
}

type writer struct {
	c        *Corpus
	uidlists []fileWriter
	mboxes   []fileWriter
}

func (w *writer) add(targets []Target, uid uint32) error {
	data := w.c.Message(uid)
	m := &w.c.Msgs[uid-1]
	base := MaildirBase(m)
	name := base + ":2," + MaildirFlags(m)
	first := map[int]string{} // owner (Target.UID) -> the file written for it
	nl, nm := 0, 0
	for _, t := range targets {
		switch t.Format {
		case Maildir:
			p := filepath.Join(t.Path, "cur", name)
			owner := max(t.UID, -1)
			if first[owner] == "" {
				if err := os.WriteFile(p, data, 0o600); err != nil {
					return err
				}
				if err := os.Chtimes(p, m.Date, m.Date); err != nil {
					return err
				}
				first[owner] = p
			} else if err := os.Link(first[owner], p); err != nil {
				if !errors.Is(err, syscall.EXDEV) {
					return err
				}
				if err := os.WriteFile(p, data, 0o600); err != nil {
					return err
				}
				os.Chtimes(p, m.Date, m.Date)
			}
			if t.UIDList {
				fmt.Fprintf(w.uidlists[nl].bw, "%d :%s\n", uid, base)
				nl++
			}
		case Mbox:
			if err := writeMbox(w.mboxes[nm].bw, w.c, m, data); err != nil {
				return fmt.Errorf("mbox %s: %w", t.Path, err)
			}
			nm++
		}
	}
	return nil
}

// MaildirBase is a message's file name without the info: a unique part,
// its sizes (S= as stored, W= with CRLF) and its UID as imap4d writes it.
func MaildirBase(m *Meta) string {
	return fmt.Sprintf("%d.M%dP4242.bench,S=%d,W=%d,u=%d", m.Date.Unix(), m.UID, m.Size, m.VSize, m.UID)
}

// MaildirFlags are the info flags, in ASCII order.
func MaildirFlags(m *Meta) string {
	f := ""
	if m.Flagged {
		f += "F"
	}
	if m.Answered {
		f += "R"
	}
	if m.Seen {
		f += "S"
	}
	return f
}

// mboxStatus is the Status header's value as imap4d writes it: O (not
// recent), R (\Seen), A (\Answered), F (\Flagged).
func mboxStatus(m *Meta) string {
	s := "O"
	if m.Seen {
		s += "R"
	}
	if m.Answered {
		s += "A"
	}
	if m.Flagged {
		s += "F"
	}
	return s
}

// MboxHeaders are the header names imap4d adds to a stored message and
// shows to clients; a comparison with the corpus skips them.
var MboxHeaders = []string{"X-IMAPbase", "X-UID", "Status", "X-Status"}

// writeMbox appends one message: the From_ line, the header with imap4d's
// bookkeeping fields added at its end, the body with mboxrd quoting of
// ">*From " lines, and the blank line that separates messages.
func writeMbox(w *bufio.Writer, c *Corpus, m *Meta, data []byte) error {
	fmt.Fprintf(w, "From %s %s\n", m.From.Addr, m.Date.UTC().Format(time.ANSIC))
	end := bytes.Index(data, []byte("\n\n"))
	if end < 0 {
		end = len(data) - 1
	}
	w.Write(data[:end+1])
	if m.UID == 1 {
		fmt.Fprintf(w, "X-IMAPbase: %20d %20d\n", c.Spec.UIDValidity, c.Spec.N+1)
	}
	fmt.Fprintf(w, "X-UID: %d\n", m.UID)
	fmt.Fprintf(w, "Status: %s\n", mboxStatus(m))
	if err := writeQuoted(w, data[end+1:]); err != nil {
		return err
	}
	_, err := w.WriteString("\n")
	return err
}

// writeQuoted writes body text with mboxrd quoting: a line that starts
// with any number of '>' followed by "From " gets one more '>'.
func writeQuoted(w io.Writer, body []byte) error {
	if !bytes.Contains(body, []byte("From ")) {
		_, err := w.Write(body)
		return err
	}
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line = body[:i+1]
		}
		body = body[len(line):]
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
			if _, err := w.Write([]byte{'>'}); err != nil {
				return err
			}
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

func chownAll(root string, uid, gid int) error {
	if err := os.Lchown(filepath.Dir(root), uid, gid); err != nil {
		return err
	}
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}
