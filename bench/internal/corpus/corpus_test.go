package corpus

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDeterministic(t *testing.T) {
	a := New(Spec{N: 50, Seed: 7, BigSizes: []int{200 << 10}})
	b := New(Spec{N: 50, Seed: 7, BigSizes: []int{200 << 10}})
	for uid := uint32(1); uid <= 50; uid++ {
		if !bytes.Equal(a.Message(uid), b.Message(uid)) {
			t.Fatalf("message %d differs between two corpora of the same seed", uid)
		}
	}
	if a.Msgs[9] != b.Msgs[9] {
		t.Fatalf("metadata differs: %+v vs %+v", a.Msgs[9], b.Msgs[9])
	}
	c := New(Spec{N: 50, Seed: 8})
	if bytes.Equal(a.Message(5), c.Message(5)) {
		t.Fatal("another seed gave the same message")
	}
}

// TestMessagesParse checks every message's MIME structure and headers with
// the standard library's parsers, and the search words' placement.
func TestMessagesParse(t *testing.T) {
	const n = 300
	c := New(Spec{N: n, Seed: 1, BigSizes: []int{400 << 10, 100 << 10}})
	kinds := map[Kind]int{}
	for uid := uint32(1); uid <= n; uid++ {
		data := c.Message(uid)
		m := c.Msgs[uid-1]
		kinds[m.Kind]++
		msg, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("message %d: %v", uid, err)
		}
		var dec mime.WordDecoder
		subj, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || subj != m.Subject {
			t.Fatalf("message %d: subject %q (%v), want %q", uid, subj, err, m.Subject)
		}
		from, err := mail.ParseAddress(msg.Header.Get("From"))
		if err != nil || from.Address != m.From.Addr {
			t.Fatalf("message %d: From %v (%v), want %s", uid, from, err, m.From.Addr)
		}
		mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil || mt != m.Kind.MediaType() {
			t.Fatalf("message %d: Content-Type %q (%v), want %s", uid, mt, err, m.Kind.MediaType())
		}
		if strings.HasPrefix(mt, "multipart/") {
			checkMultipart(t, uid, msg.Body, params["boundary"])
		}
		if got := bytes.Contains(data, []byte(SearchWord)); got != m.HasWord {
			t.Fatalf("message %d: has %q = %v, want %v", uid, SearchWord, got, m.HasWord)
		}
		if got := strings.Contains(strings.ToLower(msg.Header.Get("From")), SearchFrom); got != (m.From == FromTarget) {
			t.Fatalf("message %d: From %q", uid, msg.Header.Get("From"))
		}
		for _, line := range strings.Split(string(data), "\n") {
			if len(line) > 998 || strings.HasPrefix(line, "From ") {
				t.Fatalf("message %d: bad line %.60q", uid, line)
			}
		}
		if int64(len(data)) != m.Size || m.VSize != m.Size+int64(bytes.Count(data, []byte("\n"))) {
			t.Fatalf("message %d: sizes %d/%d for %d bytes", uid, m.Size, m.VSize, len(data))
		}
	}
	for k := Plain; k <= Big; k++ {
		if kinds[k] == 0 {
			t.Errorf("no message of kind %v in %d", k, n)
		}
	}
	if big := c.BigUIDs(); len(big) != 2 || c.Msgs[big[0]-1].Size < 400<<10-4096 || big[0] <= n/2 {
		t.Errorf("big messages %v", big)
	}
}

func checkMultipart(t *testing.T, uid uint32, body io.Reader, boundary string) {
	t.Helper()
	r := multipart.NewReader(body, boundary)
	n := 0
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("message %d: part %d: %v", uid, n+1, err)
		}
		n++
		mt, params, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("message %d: part %d: %v", uid, n, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			checkMultipart(t, uid, p, params["boundary"])
		} else if _, err := io.Copy(io.Discard, p); err != nil {
			t.Fatalf("message %d: part %d (%s): %v", uid, n, mt, err)
		}
	}
	if n == 0 {
		t.Fatalf("message %d: multipart without parts", uid)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	c := New(Spec{N: 30, Seed: 3, BigSizes: []int{100 << 10}})
	targets := []Target{
		{Format: Maildir, Path: filepath.Join(dir, "a", "INBOX"), MuProp: true, UID: -1},
		{Format: Maildir, Path: filepath.Join(dir, "b", "Maildir"), UIDList: true, UID: -1},
		{Format: Mbox, Path: filepath.Join(dir, "c", "INBOX"), UID: -1},
	}
	if err := c.Write(targets, nil); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "b", "Maildir", "cur"))
	if err != nil || len(ents) != 30 {
		t.Fatalf("%d files in cur (%v)", len(ents), err)
	}
	f, err := os.Open(filepath.Join(dir, "c", "INBOX"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	froms, uids := 0, 0
	for sc.Scan() {
		switch l := sc.Text(); {
		case strings.HasPrefix(l, "From "):
			froms++
		case strings.HasPrefix(l, "X-UID: "):
			uids++
		}
	}
	if froms != 30 || uids != 30 {
		t.Fatalf("mbox has %d From_ lines and %d X-UID headers, want 30", froms, uids)
	}
	list, _ := os.ReadFile(filepath.Join(dir, "b", "Maildir", "dovecot-uidlist"))
	if !strings.HasPrefix(string(list), "3 V1700000000 N31 G") || strings.Count(string(list), "\n") != 31 {
		t.Fatalf("dovecot-uidlist:\n%s", list)
	}
}
