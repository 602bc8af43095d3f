package imap_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSortContextSession checks SORT RETURN (UPDATE) (RFC 5267 section
// 4, CONTEXT=SORT) over a socket: changes by another session reach the
// context at the next command as REMOVEFROM and ADDTO with the positions
// in the SORT's order, an expunge is removed before its EXPUNGE, MIN and
// COUNT are told again, a tag in use is refused, and CANCELUPDATE ends
// it.
func TestSortContextSession(t *testing.T) {
	env := startServer(t, nil)
	c := env.raw()
	c.login("alice")
	// Sequence numbers 1-5 have subjects e b d a c.
	for _, s := range []string{"e", "b", "d", "a", "c"} {
		c.appendMsg("INBOX", "", sortMessage("x@y", s, "", s+"@x", ""))
	}
	c.ok("s SELECT INBOX")
	if u := c.ok("u1 SORT RETURN (UPDATE ALL) (SUBJECT) UTF-8 SEEN"); !slices.Contains(u, `* ESEARCH (TAG "u1")`) {
		t.Fatalf("first answer %q", u)
	}
	c.ok("u2 UID SORT RETURN (UPDATE) (REVERSE SUBJECT) UTF-8 SEEN")
	c.ok("u3 SORT RETURN (UPDATE MIN COUNT) (SUBJECT) UTF-8 SEEN")
	other := env.raw()
	other.login("alice")
	other.ok("s SELECT INBOX")
	steps := []struct {
		change string
		want   []string // in this order, among the other responses
	}{
		{"STORE 1,4 +FLAGS (\\Seen)", []string{
			`* ESEARCH (TAG "u1") ADDTO (1 4,1)`,
			`* ESEARCH (TAG "u2") UID ADDTO (1 1,4)`,
			`* ESEARCH (TAG "u3") MIN 4 COUNT 2`,
		}},
		// a b c d e: 4 2 5 3 1.
		{"STORE 2,3,5 +FLAGS (\\Seen)", []string{
			`* ESEARCH (TAG "u1") ADDTO (2 2,5,3)`,
			`* ESEARCH (TAG "u2") UID ADDTO (2 3,5,2)`,
			`* ESEARCH (TAG "u3") MIN 4 COUNT 5`,
		}},
		{"STORE 2,5 -FLAGS (\\Seen)", []string{
			`* ESEARCH (TAG "u1") REMOVEFROM (2 2,5)`,
			`* ESEARCH (TAG "u2") UID REMOVEFROM (3 5,2)`,
			`* ESEARCH (TAG "u3") MIN 4 COUNT 3`,
		}},
		// u1 is 4 3 1 now; 3 goes, and 4, 5 become 3, 4.
		{"STORE 3 +FLAGS (\\Deleted)\r\nx EXPUNGE", []string{
			`* ESEARCH (TAG "u1") REMOVEFROM (2 3)`,
			`* ESEARCH (TAG "u2") UID REMOVEFROM (2 3)`,
			"* 3 EXPUNGE",
			`* ESEARCH (TAG "u3") MIN 3 COUNT 2`,
		}},
	}
	for _, st := range steps {
		for _, cmd := range strings.Split(st.change, "\r\nx ") {
			other.ok("o " + cmd)
		}
		u := c.ok("n NOOP")
		at := 0
		for _, w := range st.want {
			i := slices.Index(u[at:], w)
			if i < 0 {
				t.Fatalf("after %s: %q lacks %q (in this order: %q)", st.change, u, w, st.want)
			}
			at += i + 1
		}
	}
	// A new message comes after the EXISTS that numbers it: u1 is
	// 3 (a) 1 (e), and "bb" goes between.
	other.appendMsg("INBOX", `\Seen`, sortMessage("x@y", "bb", "", "bb@x", ""))
	u := c.ok("n NOOP")
	if i := slices.Index(u, "* 5 EXISTS"); i < 0 || !slices.Contains(u[i:], `* ESEARCH (TAG "u1") ADDTO (2 5)`) {
		t.Errorf("after APPEND: %q, want ADDTO (2 5) after * 5 EXISTS", u)
	}
	if _, done := c.do("u1 SORT RETURN (UPDATE) (DATE) UTF-8 ALL"); !strings.HasPrefix(done, "u1 BAD") {
		t.Errorf("a second updating search tagged u1: %q", done)
	}
	c.ok(`c CANCELUPDATE "u1" "u2" "u3"`)
	other.ok("o STORE 1:* -FLAGS (\\Seen)")
	if u := c.ok("n NOOP"); slices.ContainsFunc(u, func(l string) bool { return strings.Contains(l, "ESEARCH") }) {
		t.Errorf("update after CANCELUPDATE: %q", u)
	}
}

// TestSortContextModel applies the ADDTO and REMOVEFROM of updating
// SORTs, as RFC 5267 section 4.3 tells a client to, through random
// flag changes, expunges and appends by another session, and checks
// after each that the result kept equals a fresh SORT's.
func TestSortContextModel(t *testing.T) {
	env := startServer(t, nil)
	c := env.raw()
	c.login("alice")
	r := rand.New(rand.NewPCG(5, 6))
	subject := func() string { return string(rune('a' + r.IntN(6))) }
	for i := range 30 {
		c.appendMsg("INBOX", "", sortMessage("x@y", subject(), fmt.Sprintf("Mon, 1 Jan 2024 %02d:00:00 +0000", r.IntN(24)), strconv.Itoa(i)+"@x", ""))
	}
	c.ok("s SELECT INBOX")
	other := env.raw()
	other.login("alice")
	other.ok("s SELECT INBOX")
	type ctx struct {
		tag, cmd string
		uid      bool
		list     []uint32
	}
	ctxs := []*ctx{
		{tag: "a", cmd: "SORT RETURN (UPDATE ALL) (SUBJECT DATE) UTF-8 FLAGGED"},
		{tag: "b", cmd: "UID SORT RETURN (UPDATE ALL) (REVERSE SUBJECT) UTF-8 FLAGGED", uid: true},
		{tag: "c", cmd: "SORT RETURN (UPDATE ALL) (REVERSE DATE) UTF-8 OR FLAGGED SEEN"},
	}
	fresh := func(x *ctx) []uint32 {
		cmd := strings.Replace(x.cmd, "UPDATE ALL", "ALL", 1)
		u := c.ok("f " + cmd)
		for _, l := range u {
			if after, ok := strings.CutPrefix(l, `* ESEARCH (TAG "f")`); ok {
				after = strings.TrimPrefix(after, " UID")
				return expandSet(t, strings.TrimPrefix(strings.TrimSpace(after), "ALL "))
			}
		}
		t.Fatalf("no ESEARCH for %s: %q", cmd, u)
		return nil
	}
	apply := func(lines []string) {
		for _, l := range lines {
			if n, ok := strings.CutSuffix(strings.TrimPrefix(l, "* "), " EXPUNGE"); ok {
				seq, _ := strconv.Atoi(n)
				for _, x := range ctxs {
					if x.uid {
						continue
					}
					for i, v := range x.list {
						if v == uint32(seq) {
							t.Fatalf("%s still holds %d at its EXPUNGE", x.tag, seq)
						}
						if v > uint32(seq) {
							x.list[i]--
						}
					}
				}
				continue
			}
			for _, x := range ctxs {
				head := `* ESEARCH (TAG "` + x.tag + `")`
				if x.uid {
					head += " UID"
				}
				rest, ok := strings.CutPrefix(l, head+" ")
				if !ok {
					continue
				}
				for rest != "" {
					name, items, _ := strings.Cut(rest, " (")
					items, rest, _ = strings.Cut(items, ")")
					rest = strings.TrimPrefix(rest, " ")
					f := strings.Fields(items)
					for i := 0; i+1 < len(f); i += 2 {
						pos, _ := strconv.Atoi(f[i])
						set := expandSet(t, f[i+1])
						if end := pos - 1 + len(set)*boolIndex(name == "REMOVEFROM"); pos < 1 || end > len(x.list) || pos-1 > len(x.list) {
							t.Fatalf("%s: %s (%d %s) outside %v", x.tag, name, pos, f[i+1], x.list)
						}
						switch name {
						case "ADDTO":
							x.list = slices.Insert(x.list, pos-1, set...)
						case "REMOVEFROM":
							if !slices.Equal(x.list[pos-1:pos-1+len(set)], set) {
								t.Fatalf("%s: REMOVEFROM (%d %s) of %v", x.tag, pos, f[i+1], x.list)
							}
							x.list = slices.Delete(x.list, pos-1, pos-1+len(set))
						default:
							t.Fatalf("%s: unexpected %q", x.tag, l)
						}
					}
				}
			}
		}
	}
	for _, x := range ctxs {
		apply(c.ok(x.tag + " " + x.cmd))
		x.list = fresh(x)
	}
	exists := 30
	for step := range 60 {
		var cmd string
		switch k := r.IntN(10); {
		case k < 6:
			lo := 1 + r.IntN(exists)
			hi := min(exists, lo+r.IntN(4))
			cmd = fmt.Sprintf("STORE %d:%d %sFLAGS (%s)", lo, hi, []string{"+", "-"}[r.IntN(2)], []string{`\Flagged`, `\Seen`}[r.IntN(2)])
			other.ok("o " + cmd)
		case k < 8 && exists > 5:
			// One EXPUNGE of up to four messages: each REMOVEFROM's
			// position counts the ones removed before it.
			var seqs []string
			for _, n := range r.Perm(exists)[:1+r.IntN(min(4, exists-5))] {
				seqs = append(seqs, strconv.Itoa(n+1))
			}
			cmd = "expunge " + strings.Join(seqs, ",")
			other.ok("o STORE " + strings.Join(seqs, ",") + ` +FLAGS (\Deleted)`)
			other.ok("o EXPUNGE")
			exists -= len(seqs)
		default:
			cmd = "append"
			flags := []string{`\Flagged`, `\Seen`, ""}[r.IntN(3)]
			other.appendMsg("INBOX", flags, sortMessage("x@y", subject(), fmt.Sprintf("Mon, 1 Jan 2024 %02d:00:00 +0000", r.IntN(24)), "n"+strconv.Itoa(step)+"@x", ""))
			exists++
		}
		apply(c.ok("n NOOP"))
		for _, x := range ctxs {
			if want := fresh(x); !slices.Equal(x.list, want) {
				t.Fatalf("step %d (%s): context %s holds %v, a fresh SORT says %v", step, cmd, x.tag, x.list, want)
			}
		}
	}
}

// expandSet reads a sequence set of numbers and ranges in the order
// written; a range goes up (RFC 5267 section 3.2).
func expandSet(t *testing.T, set string) []uint32 {
	t.Helper()
	var out []uint32
	if set == "" {
		return out
	}
	for _, part := range strings.Split(set, ",") {
		a, b, isRange := strings.Cut(part, ":")
		x, err := strconv.Atoi(a)
		if err != nil {
			t.Fatalf("bad set %q", set)
		}
		y := x
		if isRange {
			if y, err = strconv.Atoi(b); err != nil {
				t.Fatalf("bad set %q", set)
			}
		}
		for v := min(x, y); v <= max(x, y); v++ {
			out = append(out, uint32(v))
		}
	}
	return out
}

// boolIndex is 1 for true, 0 for false.
func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}
