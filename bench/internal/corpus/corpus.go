// Package corpus generates the benchmark's mailbox: a reproducible set of
// messages drawn from a seed, with a realistic size distribution and MIME
// structure (plain text, multipart/alternative, attachments, forwarded
// messages and a few very large messages), and writes it straight into the
// on-disk formats the servers read (maildir with imap4d's or Dovecot's UID
// bookkeeping, mbox with imap4d's X-IMAPbase/X-UID/Status headers).
//
// Message i (1-based) is generated from its own random stream seeded by
// (seed, i), so any single message can be regenerated to check what a
// server returned, without keeping the corpus in memory.
package corpus

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// SearchWord is the word that SEARCH TEXT looks for. It contains '-', which
// base64 never does, so it cannot turn up by chance inside an attachment.
const SearchWord = "xyzzy-plugh"

// SearchFrom is the substring that SEARCH FROM looks for; only the sender
// FromTarget has it.
const SearchFrom = "frobozz"

// FromTarget is the sender that SEARCH FROM finds.
var FromTarget = Address{Name: "Frobozz Magnate", Addr: "magnate@frobozz.example"}

// Recipient is the mailbox owner, in To of every message.
var Recipient = Address{Name: "Bench User", Addr: "bench@example.org"}

// Kind is a message's MIME structure.
type Kind int

const (
	Plain       Kind = iota // text/plain
	Alternative             // multipart/alternative: text/plain, text/html
	Mixed                   // multipart/mixed: text/plain and attachments
	MixedAlt                // multipart/mixed: multipart/alternative and attachments
	Forward                 // multipart/mixed: text/plain and a message/rfc822
	Big                     // multipart/mixed: text/plain and one large attachment
)

// MediaType is the top-level Content-Type of a message of this kind.
func (k Kind) MediaType() string {
	switch k {
	case Plain:
		return "text/plain"
	case Alternative:
		return "multipart/alternative"
	default:
		return "multipart/mixed"
	}
}

func (k Kind) String() string {
	return [...]string{"plain", "alternative", "mixed", "mixed-alternative", "forward", "big"}[k]
}

// Spec says which corpus to generate.
type Spec struct {
	N    int    // number of messages
	Seed uint64 // the same seed gives the same corpus
	// BigSizes are the sizes of the very large messages, largest first;
	// they sit in the second half of the mailbox.
	BigSizes []int
	// UIDValidity of the mailbox in every format.
	UIDValidity uint32
}

// DefaultBigSizes are the large messages of a full run: one of 50 MB (the
// memory test fetches it) and a few between 10 and 40 MB.
func DefaultBigSizes(n int) []int {
	sizes := []int{50 << 20, 23 << 20, 12 << 20}
	if n >= 50000 {
		sizes = append(sizes, 37<<20, 16<<20)
	}
	return sizes
}

// Address is a mailbox with a display name.
type Address struct{ Name, Addr string }

func (a Address) String() string {
	if a.Name == "" {
		return "<" + a.Addr + ">"
	}
	return quoteName(a.Name) + " <" + a.Addr + ">"
}

// Meta is what the verification needs to know about one message.
type Meta struct {
	UID      uint32
	Kind     Kind
	Subject  string // as a client shows it (encoded words decoded)
	ASCII    bool   // the Subject header is plain ASCII
	From     Address
	Date     time.Time // the Date header; also INTERNALDATE
	Seen     bool
	Answered bool
	Flagged  bool
	HasWord  bool  // contains SearchWord in a text part
	Size     int64 // bytes as generated (LF line ends)
	VSize    int64 // bytes with CRLF line ends, RFC822.SIZE
}

// Corpus is the metadata of a generated corpus.
type Corpus struct {
	Spec Spec
	Msgs []Meta // Msgs[i] is UID i+1
	big  map[int]int
}

// New lays out a corpus: which messages are large and what every message
// looks like. It generates no content; Message does.
func New(spec Spec) *Corpus {
	if spec.UIDValidity == 0 {
		spec.UIDValidity = 1700000000
	}
	c := &Corpus{Spec: spec, big: map[int]int{}}
	// The large messages sit at fixed fractions of the second half, so
	// that the first UIDs (fetched for throughput) are ordinary mail.
	sizes := slices.Clone(spec.BigSizes)
	for k, size := range sizes {
		if spec.N < 2 {
			break
		}
		i := spec.N/2 + 1 + (spec.N/2-1)*(2*k+1)/(2*len(sizes))
		for c.big[i] != 0 && i < spec.N {
			i++
		}
		c.big[i] = size
	}
	c.Msgs = make([]Meta, spec.N)
	for i := 1; i <= spec.N; i++ {
		c.Msgs[i-1] = c.plan(i).meta
	}
	return c
}

// BigUIDs are the UIDs of the large messages, largest first.
func (c *Corpus) BigUIDs() []uint32 {
	var out []uint32
	for i := range c.big {
		out = append(out, uint32(i))
	}
	slices.SortFunc(out, func(a, b uint32) int { return c.big[int(b)] - c.big[int(a)] })
	return out
}

// IsBig tells whether uid is one of the large messages.
func (c *Corpus) IsBig(uid uint32) bool { return c.big[int(uid)] != 0 }

// Message generates message uid's content, with LF line ends, and fills
// in its sizes.
func (c *Corpus) Message(uid uint32) []byte {
	p := c.plan(int(uid))
	data := p.render()
	m := &c.Msgs[uid-1]
	m.Size = int64(len(data))
	m.VSize = m.Size + int64(countLF(data))
	return data
}

func countLF(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

// plan holds the random decisions for one message; render turns them into
// bytes. Both draw from the message's own stream in a fixed order.
type plan struct {
	meta    Meta
	rng     *rand.Rand
	bigSize int
}

func (c *Corpus) plan(i int) *plan {
	rng := rand.New(rand.NewPCG(c.Spec.Seed, uint64(i)))
	p := &plan{rng: rng, bigSize: c.big[i]}
	m := &p.meta
	m.UID = uint32(i)
	switch r := rng.Float64(); {
	case p.bigSize > 0:
		m.Kind = Big
	case r < 0.55:
		m.Kind = Plain
	case r < 0.80:
		m.Kind = Alternative
	case r < 0.95:
		m.Kind = Mixed
	case r < 0.99:
		m.Kind = MixedAlt
	default:
		m.Kind = Forward
	}
	// Mail arrives over five years, in UID order, a few minutes apart.
	base := time.Date(2019, 3, 1, 8, 0, 0, 0, time.UTC)
	step := 5 * 365 * 24 * time.Hour / time.Duration(max(c.Spec.N, 1))
	m.Date = base.Add(time.Duration(i)*step + time.Duration(rng.IntN(int(step/time.Second)+1))*time.Second).Truncate(time.Second)
	m.Seen = rng.Float64() < 0.7
	m.Answered = m.Seen && rng.Float64() < 0.12
	m.Flagged = rng.Float64() < 0.04
	// SEARCH TEXT and SEARCH FROM hit about 1% and 2% of the mail, and
	// at least one message each.
	m.HasWord = rng.Float64() < 0.01 || i == 2
	if rng.Float64() < 0.02 || i == 3 {
		m.From = FromTarget
	} else {
		m.From = sender(rng)
	}
	m.Subject, m.ASCII = subject(rng)
	return p
}

// lognormal draws a size with the given median and spread, clamped.
func lognormal(rng *rand.Rand, median, sigma float64, lo, hi int) int {
	v := median * math.Exp(sigma*rng.NormFloat64())
	return min(max(int(v), lo), hi)
}

var firstNames = []string{"Anna", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
	"Kira", "Luca", "Maya", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Yusuf", "Zoe"}
var lastNames = []string{"Almeida", "Berg", "Castro", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ivanova",
	"Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Rossi", "Schmidt", "Tanaka",
	"Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang"}
var domains = []string{"example.com", "example.net", "mail.example.org", "lists.example.com", "corp.example",
	"university.example.edu", "shop.example", "news.example.net"}

func sender(rng *rand.Rand) Address {
	f := firstNames[rng.IntN(len(firstNames))]
	l := lastNames[rng.IntN(len(lastNames))]
	d := domains[rng.IntN(len(domains))]
	switch rng.IntN(4) {
	case 0:
		return Address{Addr: lower(f) + "@" + d}
	case 1:
		return Address{Name: l + ", " + f, Addr: lower(f[:1]+l) + "@" + d}
	default:
		return Address{Name: f + " " + l, Addr: lower(f+"."+l) + "@" + d}
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func quoteName(n string) string {
	for _, c := range n {
		if c == ',' || c == '.' || c == '"' {
			return fmt.Sprintf("%q", n)
		}
	}
	return n
}

var subjectWords = []string{"quarterly", "report", "meeting", "notes", "invoice", "draft", "proposal", "review",
	"schedule", "update", "budget", "release", "plan", "minutes", "agenda", "question", "about", "the", "new",
	"project", "launch", "design", "team", "offsite", "contract", "feedback", "travel", "request", "status",
	"weekly", "summary", "migration", "server", "outage", "photos", "dinner", "Friday"}

var utf8Subjects = []string{"Grüße aus München", "Réunion de café", "Überweisung erhalten", "Señales del año",
	"Zürich – Ankunft", "Ελληνικά νέα", "Встреча в пятницу", "会議の議事録"}

// subject draws a subject; some are non-ASCII (sent as encoded words).
func subject(rng *rand.Rand) (string, bool) {
	if rng.Float64() < 0.05 {
		return utf8Subjects[rng.IntN(len(utf8Subjects))] + fmt.Sprintf(" %d", rng.IntN(1000)), false
	}
	n := 2 + rng.IntN(7)
	s := ""
	for k := 0; k < n; k++ {
		w := subjectWords[rng.IntN(len(subjectWords))]
		if k == 0 && 'a' <= w[0] && w[0] <= 'z' {
			w = string(w[0]-'a'+'A') + w[1:]
		}
		if s != "" {
			s += " "
		}
		s += w
	}
	switch r := rng.Float64(); {
	case r < 0.25:
		s = "Re: " + s
	case r < 0.30:
		s = "Fwd: " + s
	}
	return s, true
}
