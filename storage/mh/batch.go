package mh

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/mailgate/mailgate/storage"
	"github.com/mailgate/mailgate/storage/internal/fsutil"
)

// This file stages copies of another MH folder's messages as hard links
// (COPY and MOVE) and commits many staged messages at once: one .mu-prop
// write, one .mh_sequences rewrite (and one read back, see linkAs) and
// one sync of the folder for the whole batch, where committing them one
// at a time costs all of that per message. As with single commits, a
// kill -9 in the middle can leave a first part of the batch (MH keeps no
// batch intent); a failure takes the batch back.

var (
	_ storage.LinkStager     = (*Folder)(nil)
	_ storage.BatchCommitter = (*Folder)(nil)
)

// StageLink implements storage.LinkStager: it links uid's file in src (an
// MH Folder) into f under a temporary name. The link is refused with
// storage.ErrNotLinkable, and nothing left behind, across file systems,
// where the system refuses it, for a file that is not a regular file, or
// that lacks permission bits f's files have, or that belongs to another
// user (see fsutil.OwnedByUs).
func (f *Folder) StageLink(src storage.Folder, uid uint32, flags []string) (storage.Staged, error) {
	from, ok := src.(*Folder)
	if !ok || from == f {
		return nil, f.errorf("copy: %w: the source is not another MH folder", storage.ErrNotLinkable)
	}
	if _, err := f.fm.setFlags(nil, 1, flags); err != nil {
		return nil, f.errorf("copy: %w", err)
	}
	tmp := fsutil.TempName(f.path, tmpKind)
	name := strconv.FormatUint(uint64(uid), 10)
	srcPath := from.file(uid)
	err := os.Link(srcPath, tmp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, f.errorf("copy uid %d: %w", uid, storage.ErrNoMessage)
	case err != nil && fsutil.Unlinkable(err):
		return nil, f.errorf("copy: %w: %v", storage.ErrNotLinkable, err)
	case err != nil:
		return nil, f.errorf("copy: %w", err)
	}
	s := &staged{f: f, tmp: tmp, flags: slices.Clone(flags)}
	fi, err := os.Lstat(tmp)
	if err == nil {
		if serr := fsutil.MayShare(fi, f.perm); serr != nil {
			err = f.errorf("copy: %w: %s: %v", storage.ErrNotLinkable, srcPath, serr)
		}
	}
	if err == nil {
		// Another program may have renumbered the source folder since
		// its last scan: the file under uid's number is then another
		// message.
		from.mu.Lock()
		ok := from.checkKnown(uid, idOf(fi))
		from.mu.Unlock()
		if !ok {
			err = from.errorf("copy uid %d: %w", uid, storage.ErrNoMessage)
		}
	}
	if err == nil {
		m, ok := from.meta.Load()[name]
		if ok && idOf(fi) == m.fileID {
			s.meta = m
		} else {
			s.meta, err = measureFile(tmp, fi)
		}
	}
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	return s, nil
}

// measureFile learns the fileMeta of the message file at path, which fi
// describes.
func measureFile(path string, fi os.FileInfo) (fileMeta, error) {
	file, err := os.Open(path)
	if err != nil {
		return fileMeta{}, err
	}
	defer file.Close()
	m := fileMeta{fileID: idOf(fi), gen: fsutil.Generation(file)}
	m.size, m.hdr, err = measure(file)
	return m, err
}

// CommitBatch implements storage.BatchCommitter: under the folder's
// lock, it claims a number for every message (raising .mu-prop once),
// writes their sequence memberships in one rewrite of .mh_sequences,
// links each file to its number, syncs the folder once and reads the
// sequences back once (see linkAs). A message whose number another
// program took meanwhile is committed alone afterwards, with the next
// free number. On a failure the messages linked are removed again and
// their memberships put back.
func (f *Folder) CommitBatch(list []storage.Staged) ([]storage.Message, error) {
	ss := make([]*staged, 0, len(list))
	for _, st := range list {
		s, ok := st.(*staged)
		if !ok || s.f != f || s.done {
			for _, st := range list {
				st.Abort()
			}
			return nil, f.errorf("append: a staged message of another folder, or one committed already")
		}
		ss = append(ss, s)
	}
	defer func() {
		for _, s := range ss {
			s.done = true
			os.Remove(s.tmp)
		}
	}()
	if err := f.lock(); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	nums := make([]uint32, len(ss))
	var p props
	var seqs sequences
	err := f.locked(func() (err error) {
		if p, err = f.readPropsForWrite(); err != nil {
			return err
		}
		if err := f.claimNumbers(&p, nums); err != nil {
			return err
		}
		for i, s := range ss {
			f.remember1(nums[i], s.meta)
		}
		seqs, err = f.linkBatch(ss, nums, &p)
		if err != nil {
			for i := range ss {
				f.forget1(nums[i])
			}
			return err
		}
		add := make([]numberEntry, len(ss))
		for i, s := range ss {
			add[i] = numberEntry{nums[i], s.meta.ino, s.meta.gen}
		}
		f.updateNumbering(p.UIDValidity, add, nil, p.UIDNext)
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.uidNext = max(f.uidNext, p.UIDNext)
	msgs := make([]storage.Message, len(ss))
	for i, s := range ss {
		fl, old := f.fm.flagsOf(seqs, nums[i], s.meta.hdr, false)
		msgs[i] = storage.Message{UID: nums[i], Flags: fl, InternalDate: time.Unix(0, s.meta.mtime),
			Size: s.meta.size, New: nums[i] >= p.RecentFrom && !old}
	}
	return msgs, nil
}

// claimNumbers fills nums with the first numbers at or above p.UIDNext
// without a file, in order, after raising p.UIDNext above the last and
// writing and syncing .mu-prop once. The caller holds the exclusive
// lock.
func (f *Folder) claimNumbers(p *props, nums []uint32) error {
	n := p.UIDNext
	for i := range nums {
		for {
			if n >= maxNumber {
				return f.errorf("no UIDs left under this UIDVALIDITY; recreate the mailbox")
			}
			if _, err := os.Lstat(f.file(n)); errors.Is(err, fs.ErrNotExist) {
				break
			}
			n++ // another program took n
		}
		nums[i] = n
		n++
	}
	p.UIDNext = n
	if err := writeAtomic(f.path, propsFile, p.Encode(), f.perm); err != nil {
		return f.errorf("%s: %w", propsFile, err)
	}
	f.validity = p.UIDValidity
	return nil
}

// beforeLinks, when set by a test, runs between the sequences rewrite
// and the links of linkBatch.
var beforeLinks func(nums []uint32)

// maxNumber bounds the message numbers claimNumbers gives.
const maxNumber = 1<<32 - 2

// linkBatch gives the staged files the numbers nums, as linkAs gives one
// file its number, with one rewrite of .mh_sequences before the links
// and one read after them; a message whose number another program took
// meanwhile is given the next free one alone (linkNext), and nums
// changed. The caller holds the exclusive lock.
func (f *Folder) linkBatch(ss []*staged, nums []uint32, p *props) (sequences, error) {
	before := make([][]string, len(ss))
	seqs, err := f.updateSequences(func(seqs sequences) (sequences, error) {
		var err error
		for i, s := range ss {
			before[i] = seqs.memberOf(nums[i])
			if seqs, err = f.fm.setFlags(seqs, nums[i], s.flags); err != nil {
				return nil, err
			}
		}
		return seqs, nil
	})
	if err != nil {
		return nil, err
	}
	if beforeLinks != nil {
		beforeLinks(nums)
	}
	linked := make([]bool, len(ss))
	var taken []int // those whose number another program took
	undo := func(err error) (sequences, error) {
		for i := range ss {
			if linked[i] {
				os.Remove(f.file(nums[i]))
			}
		}
		fsutil.SyncDir(f.path)
		_, rerr := f.updateSequences(func(seqs sequences) (sequences, error) {
			for i := range ss {
				seqs = seqs.restore(nums[i], before[i])
			}
			return seqs, nil
		})
		if rerr != nil {
			return nil, f.errorf("%w; putting the sequences back: %v", err, rerr)
		}
		return nil, err
	}
	for i, s := range ss {
		err := linkExcl(s.tmp, f.file(nums[i]))
		if errors.Is(err, fs.ErrExist) {
			taken = append(taken, i)
			continue
		}
		if err != nil {
			return undo(f.errorf("link %d: %w", nums[i], err))
		}
		linked[i] = true
	}
	if err := fsutil.SyncDir(f.path); err != nil {
		return undo(f.errorf("%w", err))
	}
	want := make([][]string, len(ss))
	for i := range ss {
		want[i] = seqs.memberOf(nums[i])
	}
	seqs, err = f.updateSequences(func(seqs sequences) (sequences, error) {
		for _, i := range taken {
			seqs = seqs.restore(nums[i], before[i])
		}
		for i := range ss {
			if linked[i] && !slices.Equal(seqs.memberOf(nums[i]), want[i]) {
				seqs = seqs.restore(nums[i], want[i])
			}
		}
		return seqs, nil
	})
	if err != nil {
		return undo(err)
	}
	for _, i := range taken {
		f.forget1(nums[i])
		n, now, err := f.linkNext(ss[i].tmp, p, &ss[i].meta, func(n uint32, seqs sequences) (sequences, error) {
			return f.fm.setFlags(seqs, n, ss[i].flags)
		})
		if err != nil {
			return undo(err)
		}
		nums[i], linked[i], seqs = n, true, now
	}
	return seqs, nil
}
