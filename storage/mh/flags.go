package mh

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mailgate/mailgate/storage"
)

// curSequence is nmh's current message; it is no flag and never a
// keyword, and is kept as it is.
const curSequence = "cur"

// flagSeq ties a system flag to the sequence that holds it and to the
// letter of imap4d's Status: field that holds it in a message file.
type flagSeq struct {
	flag   string
	seq    string // "" for \Seen: the folder's unseen sequence
	letter byte
}

// flagSeqs lists the system flags that sequences hold. \Seen is held by
// absence from the unseen sequence.
var flagSeqs = [...]flagSeq{
	{storage.FlagSeen, "", 'R'},
	{storage.FlagFlagged, "flagged", 'F'},
	{storage.FlagAnswered, "replied", 'A'},
	{storage.FlagDeleted, "deleted", 'D'},
	{storage.FlagDraft, "draft", 'd'},
}

// flagMap is a folder's mapping between sequences and flags: the same
// as flagSeqs with the unseen sequence's name filled in.
type flagMap struct {
	unseen string
}

// seqName returns the sequence of system flag i of flagSeqs.
func (m flagMap) seqName(i int) string {
	if flagSeqs[i].seq == "" {
		return m.unseen
	}
	return flagSeqs[i].seq
}

// reserved reports whether a sequence of this name is not a keyword.
func (m flagMap) reserved(name string) bool {
	if strings.EqualFold(name, curSequence) || strings.EqualFold(name, m.unseen) {
		return true
	}
	for _, fs := range flagSeqs[1:] {
		if strings.EqualFold(name, fs.seq) {
			return true
		}
	}
	return false
}

// flagsOf returns the flags of message n: system flags from the
// sequences when .mh_sequences defines them, else from the Status:
// letters when the file has that field, else as nmh would see them (no
// sequence means \Seen and nothing else) or, in a bare folder (one
// without .mh_sequences), as imap4d would (no Status: means unseen);
// keywords from every other sequence whose name can be one. old reports
// imap4d's O letter.
func (m flagMap) flagsOf(ss sequences, n uint32, hdr headerInfo, bare bool) (flags []string, old bool) {
	for i, fs := range flagSeqs {
		var set bool
		if k := ss.find(m.seqName(i)); k >= 0 {
			set = ss[k].set.contains(n) != (fs.seq == "")
		} else if hdr.hasStatus {
			set = strings.IndexByte(hdr.status, fs.letter) >= 0
		} else {
			set = fs.seq == "" && !bare // no unseen sequence: seen
		}
		if set {
			flags = append(flags, fs.flag)
		}
	}
	for _, s := range ss {
		if m.reserved(s.name) || !validKeyword(s.name) || !s.set.contains(n) {
			continue
		}
		if !slices.ContainsFunc(flags, func(f string) bool { return strings.EqualFold(f, s.name) }) {
			flags = append(flags, s.name)
		}
	}
	slices.Sort(flags)
	return flags, hdr.hasStatus && strings.IndexByte(hdr.status, 'O') >= 0
}

// setFlags changes ss so that message n has exactly flags. Keywords go to
// the sequence of that name (an existing one whose name differs only in
// case is reused); keywords that no sequence can hold are an error.
// Sequences that are neither flags nor keywords (such as cur) are left
// alone. ss must be the caller's own copy.
func (m flagMap) setFlags(ss sequences, n uint32, flags []string) (sequences, error) {
	want := make([]bool, len(flagSeqs))
	var keywords []string
	for _, f := range flags {
		if i := slices.IndexFunc(flagSeqs[:], func(fs flagSeq) bool { return strings.EqualFold(fs.flag, f) }); i >= 0 {
			want[i] = true
			continue
		}
		if strings.EqualFold(f, `\Recent`) {
			continue
		}
		if !validKeyword(f) || !validSeqName(f) || m.reserved(f) {
			return ss, fmt.Errorf("flag %q cannot be stored as an MH sequence", f)
		}
		keywords = append(keywords, f)
	}
	for i := range flagSeqs {
		member := want[i]
		if flagSeqs[i].seq == "" {
			member = !member
		}
		ss = setMember(ss, m.seqName(i), n, member)
	}
	for i := range ss {
		s := &ss[i]
		if m.reserved(s.name) || !validKeyword(s.name) {
			continue
		}
		if !slices.ContainsFunc(keywords, func(k string) bool { return strings.EqualFold(k, s.name) }) {
			s.set = s.set.remove(n)
		}
	}
	for _, k := range keywords {
		if i := ss.findFold(k); i >= 0 {
			ss[i].set = ss[i].set.add(n, n)
		} else {
			ss = append(ss, sequence{name: k, set: numSet{{n, n}}})
		}
	}
	return ss, nil
}

// materialize defines in ss every flag sequence that it lacks, with the
// messages whose Status: letters hold that flag, so that writing the
// sequence changes no other message's flags. hdrs holds the header
// information of the folder's messages; bare says that the folder had no
// .mh_sequences, so that messages without Status: are unseen. ss must be
// the caller's own copy.
func (m flagMap) materialize(ss sequences, hdrs map[uint32]headerInfo, bare bool) sequences {
	nums := make([]uint32, 0, len(hdrs))
	for n, h := range hdrs {
		if h.hasStatus || bare {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	for i, fs := range flagSeqs {
		name := m.seqName(i)
		if ss.find(name) >= 0 {
			continue
		}
		s := sequence{name: name}
		for _, n := range nums {
			has := hdrs[n].hasStatus && strings.IndexByte(hdrs[n].status, fs.letter) >= 0
			if has != (fs.seq == "") {
				s.set = s.set.add(n, n)
			}
		}
		ss = append(ss, s)
	}
	return ss
}

// isFlagSeq reports whether name is the sequence of a system flag.
func (m flagMap) isFlagSeq(name string) bool {
	for i := range flagSeqs {
		if m.seqName(i) == name {
			return true
		}
	}
	return false
}

// setMember adds n to or removes it from the sequence called name,
// adding the sequence when it is missing.
func setMember(ss sequences, name string, n uint32, member bool) sequences {
	i := ss.find(name)
	if i < 0 {
		ss = append(ss, sequence{name: name})
		i = len(ss) - 1
	}
	if member {
		ss[i].set = ss[i].set.add(n, n)
	} else {
		ss[i].set = ss[i].set.remove(n)
	}
	return ss
}

// validKeyword reports whether name can be a keyword: an IMAP atom that
// does not start with a backslash.
func validKeyword(name string) bool {
	if name == "" || name[0] == '\\' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}
