package maildir

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// keywordsFile maps keyword letters to names, as Dovecot keeps it: lines
// "<index> <keyword>", where the letter in file names is 'a'+index.
const keywordsFile = "dovecot-keywords"

// maxKeywords is how many keyword letters the info part has: a to z.
const maxKeywords = 26

// keywords is a mailbox's keyword table. An empty name is a free slot.
type keywords struct {
	names [maxKeywords]string
}

// index returns the slot of the keyword named name, compared without
// regard to case.
func (k *keywords) index(name string) (int, bool) {
	for i, n := range k.names {
		if n != "" && strings.EqualFold(n, name) {
			return i, true
		}
	}
	return 0, false
}

// name returns the keyword that letter stands for.
func (k *keywords) name(letter byte) (string, bool) {
	if letter < 'a' || letter > 'z' {
		return "", false
	}
	n := k.names[letter-'a']
	return n, n != ""
}

// add puts name in the first free slot, keeping its case. It reports
// false when every slot is taken.
func (k *keywords) add(name string) bool {
	if _, ok := k.index(name); ok {
		return true
	}
	for i, n := range k.names {
		if n == "" {
			k.names[i] = name
			return true
		}
	}
	return false
}

// encode formats the table as dovecot-keywords.
func (k *keywords) encode() []byte {
	var b bytes.Buffer
	for i, n := range k.names {
		if n != "" {
			b.WriteString(strconv.Itoa(i))
			b.WriteByte(' ')
			b.WriteString(n)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// maxMetaFile bounds how much of another program's metadata file is
// read.
const maxMetaFile = 16 << 20

// readKeywords reads the keyword table of the maildir at dir. A missing
// file, or one that is not a regular file, is an empty table; malformed
// lines are skipped.
func readKeywords(dir string) (keywords, error) {
	var k keywords
	file, _, err := fsutil.OpenRegular(filepath.Join(dir, keywordsFile))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fsutil.ErrNotRegular) {
		return k, nil
	}
	if err != nil {
		return k, err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxMetaFile))
	if err != nil {
		return k, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		idx, name, ok := strings.Cut(strings.TrimRight(sc.Text(), "\r"), " ")
		if !ok || !validKeyword(name) {
			continue
		}
		i, ok := parseDecimal(idx, 8)
		if !ok || i >= maxKeywords || k.names[i] != "" {
			continue
		}
		if _, dup := k.index(name); dup {
			continue
		}
		k.names[i] = name
	}
	return k, nil
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
