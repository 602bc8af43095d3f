package auth

import (
	"bufio"
	"context"
	"crypto/cipher"
	"crypto/des"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The vector of testdata/pidentd was made by gen.c with OpenSSL's libdes
// (the library pidentd links), from the last key of identd.key: uid 1000,
// ports 40000 and 1143, addresses 127.0.0.1.
func TestIdentDecryptOpenSSLVector(t *testing.T) {
	keys, err := loadIdentKeys("testdata/pidentd/identd.key")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("%d keys, want 2", len(keys))
	}
	tok, err := decryptIdent("Su8QPbUI0QPYjFW6s7iBul8/6STzGNpT", keys)
	if err != nil {
		t.Fatal(err)
	}
	want := identToken{uid: 1000, date: time.Unix(1700000000, 0), clientAddr: netip.MustParseAddr("127.0.0.1"),
		ourAddr: netip.MustParseAddr("127.0.0.1"), clientPort: 40000, ourPort: 1143}
	if tok != want {
		t.Errorf("decrypted %+v, want %+v", tok, want)
	}
	if _, err := decryptIdent("k526wSv1Jxr/enhka+QSCCj4HOwh0iai", keys[:1]); !errors.Is(err, errIdentUndecryptable) {
		t.Errorf("with the wrong key: %v", err)
	}
	for _, bad := range []string{"", "short", "Su8QPbUI0QPYjFW6s7iBul8/6STzGNp", "Su8QPbUI0QPYjFW6s7iBul8/6STzGNpT==", "!u8QPbUI0QPYjFW6s7iBul8/6STzGNpT"} {
		if _, err := decryptIdent(bad, keys); err == nil {
			t.Errorf("decryptIdent(%q) succeeded", bad)
		}
	}
}

// encryptIdent encrypts a reply as pidentd does, with the last key of
// the file, for the test ident server: dated now, about a connection
// from 127.0.0.1 to 127.0.0.1.
func encryptIdent(t *testing.T, keyFile string, uid int, clientPort, serverPort uint16) string {
	t.Helper()
	lo := netip.MustParseAddr("127.0.0.1")
	return encryptIdentToken(t, keyFile, uid, time.Now(), lo, lo, clientPort, serverPort)
}

// encryptIdentToken is encryptIdent with every field chosen by the
// caller: the date and both addresses too. The random field is random,
// as pidentd's, so that two replies made in the same second differ.
func encryptIdentToken(t *testing.T, keyFile string, uid int, date time.Time, client, ours netip.Addr, clientPort, serverPort uint16) string {
	t.Helper()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	key := desStringToKey(data[len(data)/identKeySize*identKeySize-identKeySize:][:identKeySize])
	block, _ := des.NewCipher(key[:])
	p := make([]byte, 24)
	rand.Read(p[4:6])
	binary.BigEndian.PutUint16(p[6:], uint16(uid))
	binary.BigEndian.PutUint32(p[8:], uint32(date.Unix()))
	c4, o4 := client.As4(), ours.As4()
	copy(p[12:], c4[:])
	copy(p[16:], o4[:])
	binary.BigEndian.PutUint16(p[20:], clientPort)
	binary.BigEndian.PutUint16(p[22:], serverPort)
	var sum uint32
	for i := 4; i < 24; i += 4 {
		sum ^= binary.BigEndian.Uint32(p[i:])
	}
	binary.BigEndian.PutUint32(p, sum)
	cipher.NewCBCEncrypter(block, make([]byte, 8)).CryptBlocks(p, p)
	return base64.StdEncoding.EncodeToString(p)
}

// identd is a small RFC 1413 server on loopback: answer makes the reply
// to a query for the two ports.
func identd(t *testing.T, answer func(clientPort, serverPort uint16) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil {
					return
				}
				a, b, _ := strings.Cut(strings.TrimSpace(line), ",")
				cp, _ := strconv.Atoi(strings.TrimSpace(a))
				sp, _ := strconv.Atoi(strings.TrimSpace(b))
				if reply := answer(uint16(cp), uint16(sp)); reply != "" {
					fmt.Fprintf(c, "%s\r\n", reply)
				}
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// identConn is a connection as the preauth sees it, from a real socket
// pair so that the ports are real.
func identConn(t *testing.T) PreauthConn {
	t.Helper()
	return PreauthConn{Client: netip.MustParseAddrPort("127.0.0.1:40001"), Server: netip.MustParseAddrPort("127.0.0.1:1143")}
}

func TestIdentPreauth(t *testing.T) {
	users, _, _ := loadForTest(t, writeUsers(t, "alice:"+cheapHash(t, "pw")+"\nlocked:!x\n"))
	keyFile := "testdata/pidentd/identd.key"
	otherKey := filepath.Join(t.TempDir(), "other.key")
	os.WriteFile(otherKey, []byte(strings.Repeat("x", identKeySize)), 0o600)
	uids := map[int]string{1000: "alice", 1001: "nobody-here"}
	lookup := func(uid int) (string, error) {
		if n, ok := uids[uid]; ok {
			return n, nil
		}
		return "", errors.New("unknown uid")
	}
	for _, tc := range []struct {
		name        string
		answer      func(cp, sp uint16) string
		keyFile     string
		encryptOnly bool
		user        string
		err         error
	}{
		{"plain", func(cp, sp uint16) string { return fmt.Sprintf("%d , %d : USERID : UNIX : alice", cp, sp) }, "", false, "alice", nil},
		{"plain with charset and spaces", func(cp, sp uint16) string { return fmt.Sprintf("%d,%d:USERID:UNIX , UTF-8:  alice  ", cp, sp) }, "", false, "alice", nil},
		{"plain refused by encrypt-only", func(cp, sp uint16) string { return fmt.Sprintf("%d , %d : USERID : UNIX : alice", cp, sp) }, keyFile, true, "", ErrBadCredentials},
		{"plain OTHER is no login name", func(cp, sp uint16) string { return fmt.Sprintf("%d , %d : USERID : OTHER : 1000", cp, sp) }, "", false, "", ErrNoIdentity},
		{"unknown user", func(cp, sp uint16) string { return fmt.Sprintf("%d , %d : USERID : UNIX : mallory", cp, sp) }, "", false, "", ErrBadCredentials},
		{"locked user", func(cp, sp uint16) string { return fmt.Sprintf("%d , %d : USERID : UNIX : locked", cp, sp) }, "", false, "", ErrBadCredentials},
		{"error reply", func(cp, sp uint16) string { return fmt.Sprintf("%d , %d : ERROR : NO-USER", cp, sp) }, "", false, "", ErrNoIdentity},
		{"other ports", func(cp, sp uint16) string { return fmt.Sprintf("%d , %d : USERID : UNIX : alice", cp+1, sp) }, "", false, "", ErrNoIdentity},
		{"garbage", func(cp, sp uint16) string { return "hello" }, "", false, "", ErrNoIdentity},
		{"no reply", func(cp, sp uint16) string { return "" }, "", false, "", ErrNoIdentity},
		{"encrypted", func(cp, sp uint16) string {
			return fmt.Sprintf("%d , %d : USERID : OTHER :[%s]", cp, sp, encryptIdent(t, keyFile, 1000, cp, sp))
		}, keyFile, true, "alice", nil},
		{"encrypted with another key", func(cp, sp uint16) string {
			return fmt.Sprintf("%d , %d : USERID : OTHER :[%s]", cp, sp, encryptIdent(t, otherKey, 1000, cp, sp))
		}, keyFile, false, "", ErrBadCredentials},
		{"encrypted without a keyfile", func(cp, sp uint16) string {
			return fmt.Sprintf("%d , %d : USERID : OTHER :[%s]", cp, sp, encryptIdent(t, keyFile, 1000, cp, sp))
		}, "", false, "", ErrNoIdentity},
		{"encrypted for another connection", func(cp, sp uint16) string {
			return fmt.Sprintf("%d , %d : USERID : OTHER :[%s]", cp, sp, encryptIdent(t, keyFile, 1000, cp+1, sp))
		}, keyFile, false, "", ErrBadCredentials},
		{"encrypted unknown uid", func(cp, sp uint16) string {
			return fmt.Sprintf("%d , %d : USERID : OTHER :[%s]", cp, sp, encryptIdent(t, keyFile, 4242, cp, sp))
		}, keyFile, false, "", ErrBadCredentials},
		{"encrypted uid of nobody in the users file", func(cp, sp uint16) string {
			return fmt.Sprintf("%d , %d : USERID : OTHER :[%s]", cp, sp, encryptIdent(t, keyFile, 1001, cp, sp))
		}, keyFile, false, "", ErrBadCredentials},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &IdentPreauth{Port: identd(t, tc.answer), KeyFile: tc.keyFile, EncryptOnly: tc.encryptOnly,
				Timeout: 5 * time.Second, Users: users, LookupUID: lookup, Logger: slog.New(slog.DiscardHandler)}
			u, err := p.Preauthenticate(context.Background(), identConn(t), &Attempt{})
			if tc.err != nil {
				if !errors.Is(err, tc.err) || u != nil {
					t.Fatalf("got %v, %v; want %v", u, err, tc.err)
				}
				return
			}
			if err != nil || u.Name != tc.user {
				t.Fatalf("got %v, %v; want %s", u, err, tc.user)
			}
		})
	}
}

// An ident server that never answers costs the timeout, and logs nobody
// in.
func TestIdentPreauthTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			time.Sleep(5 * time.Second)
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p := &IdentPreauth{Port: port, Timeout: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	if _, err := p.Preauthenticate(context.Background(), identConn(t), &Attempt{}); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("got %v, want ErrNoIdentity", err)
	}
}

// FuzzParseIdentReply: no panic, and a USERID reply always has a user-id.
func FuzzParseIdentReply(f *testing.F) {
	for _, s := range []string{"1 , 2 : USERID : UNIX : alice", "1,2:ERROR:NO-USER", "1 , 2 : USERID : OTHER :[abc]",
		"1 , 2 : USERID : UNIX , UTF-8 : a:b", "x", "1 , 2 : USERID", "99999 , 2 : ERROR"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := parseIdentReply(line, 1, 2)
		if err == nil && r.errorType == "" && r.userID == "" {
			t.Fatalf("%q: USERID reply without a user-id", line)
		}
	})
}

// An encrypted ident reply is a bearer token. One captured once (it
// crosses the network in the clear on port 113, and the client's pidentd
// hands the same kind of token to any server its user connects to) must
// not log its uid in again: a stale one is refused, and so is a second
// use of a fresh one, and one made for a connection to another server.
func TestIdentEncryptedReplyReplay(t *testing.T) {
	users, _, _ := loadForTest(t, writeUsers(t, "alice:"+cheapHash(t, "pw")+"\n"))
	keyFile := "testdata/pidentd/identd.key"
	lookup := func(uid int) (string, error) {
		if uid == 1000 {
			return "alice", nil
		}
		return "", errors.New("unknown uid")
	}
	lo := netip.MustParseAddr("127.0.0.1")
	other := netip.MustParseAddr("192.0.2.80")
	conn := identConn(t)
	preauthWith := func(t *testing.T, token string, setup func(*IdentPreauth)) (*User, error) {
		p := &IdentPreauth{
			Port: identd(t, func(cp, sp uint16) string {
				return fmt.Sprintf("%d , %d : USERID : OTHER :[%s]", cp, sp, token)
			}),
			KeyFile: keyFile, EncryptOnly: true, Timeout: 5 * time.Second,
			Users: users, LookupUID: lookup, Logger: slog.New(slog.DiscardHandler),
		}
		if setup != nil {
			setup(p)
		}
		return p.Preauthenticate(context.Background(), conn, &Attempt{})
	}
	preauth := func(t *testing.T, token string) (*User, error) { return preauthWith(t, token, nil) }
	token := func(date time.Time, ours netip.Addr) string {
		return encryptIdentToken(t, keyFile, 1000, date, lo, ours, conn.Client.Port(), conn.Server.Port())
	}

	t.Run("a token a month old", func(t *testing.T) {
		if u, err := preauth(t, token(time.Now().Add(-30*24*time.Hour), lo)); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("a month-old encrypted ident reply: %v, %v; want it refused as stale", u, err)
		}
	})
	t.Run("the same token twice", func(t *testing.T) {
		tok := token(time.Now(), lo)
		if _, err := preauth(t, tok); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if u, err := preauth(t, tok); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("a replayed encrypted ident reply: %v, %v; want it refused", u, err)
		}
	})
	for _, tc := range []struct {
		name string
		age  time.Duration
		skew time.Duration
		ok   bool
	}{
		{"four minutes old", 4 * time.Minute, 0, true},
		{"four minutes ahead (the client's clock)", -4 * time.Minute, 0, true},
		{"six minutes old", 6 * time.Minute, 0, false},
		{"six minutes ahead", -6 * time.Minute, 0, false},
		{"six minutes old, ten allowed", 6 * time.Minute, 10 * time.Minute, true},
		{"a minute old, thirty seconds allowed", time.Minute, 30 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := preauthWith(t, token(time.Now().Add(-tc.age), lo), func(p *IdentPreauth) { p.MaxSkew = tc.skew })
			if tc.ok != (err == nil) || err != nil && !errors.Is(err, ErrBadCredentials) {
				t.Errorf("got %v, want success %v", err, tc.ok)
			}
		})
	}
	t.Run("made for another server", func(t *testing.T) {
		if _, err := preauth(t, token(time.Now(), other)); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("a reply made for a connection to %s logged in here: %v", other, err)
		}
	})
	t.Run("made for our address behind NAT", func(t *testing.T) {
		_, err := preauthWith(t, token(time.Now(), other), func(p *IdentPreauth) { p.ServerAddrs = []netip.Addr{other} })
		if err != nil {
			t.Errorf("a reply naming a configured server address: %v", err)
		}
	})
	t.Run("remembered by another process", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), IdentRepliesFile)
		tok := token(time.Now(), lo)
		if _, err := preauthWith(t, tok, func(p *IdentPreauth) { p.Replies = &IdentReplies{Path: path} }); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if _, err := preauthWith(t, tok, func(p *IdentPreauth) { p.Replies = &IdentReplies{Path: path} }); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("replayed to another process sharing the record: %v", err)
		}
	})
	t.Run("a record that is not ours", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), IdentRepliesFile)
		os.WriteFile(path, []byte("hello\n"), 0o600)
		_, err := preauthWith(t, token(time.Now(), lo), func(p *IdentPreauth) { p.Replies = &IdentReplies{Path: path} })
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("with a damaged record: %v, want ErrUnavailable (refused, not counted)", err)
		}
	})
}

// The record of used replies forgets them once their date is too old
// to pass anyway, rewrites the file when most of it has expired, drops a
// last line cut short by a crash, and is shared by every process using
// the file.
func TestIdentRepliesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), IdentRepliesFile)
	now := time.Unix(1_800_000_000, 0)
	tok := func(i byte) [identTokenSize]byte { return [identTokenSize]byte{i} }
	r := &IdentReplies{Path: path}
	for i := range byte(10) {
		if err := r.use(tok(i), now.Add(time.Duration(i)*time.Minute), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := (&IdentReplies{Path: path}).use(tok(3), now.Add(time.Hour), now); !errors.Is(err, errIdentReplayed) {
		t.Errorf("a reply used before, through another record on the file: %v", err)
	}
	// Eight minutes on, the replies that expired by then (0 to 8) are
	// forgotten: reply 2 is new again, and the file is rewritten.
	later := now.Add(8 * time.Minute)
	if err := r.use(tok(2), later.Add(time.Minute), later); err != nil {
		t.Errorf("an expired reply: %v", err)
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != 2 {
		t.Errorf("the file holds %d records after most expired, want 2:\n%s", n, data)
	}
	// A torn last line is dropped; the lines before it stand.
	os.WriteFile(path, append(data, "00ab"...), 0o600)
	if err := r.use(tok(9), later.Add(time.Hour), later); !errors.Is(err, errIdentReplayed) {
		t.Errorf("reply 9 after a torn line: %v, want a replay", err)
	}
	if err := r.use(tok(20), later.Add(time.Hour), later); err != nil {
		t.Errorf("a new reply after a torn line: %v", err)
	}
	data, _ = os.ReadFile(path)
	if strings.Contains(string(data), "00ab") || strings.Count(string(data), "\n") != 3 {
		t.Errorf("the torn line was not dropped:\n%s", data)
	}
	// In memory, the same rules.
	var m IdentReplies
	if err := m.use(tok(1), now.Add(time.Minute), now); err != nil {
		t.Fatal(err)
	}
	if err := m.use(tok(1), now.Add(time.Minute), now); !errors.Is(err, errIdentReplayed) {
		t.Errorf("in memory, a second use: %v", err)
	}
	if err := m.use(tok(1), now.Add(3*time.Minute), now.Add(2*time.Minute)); err != nil {
		t.Errorf("in memory, an expired reply: %v", err)
	}
}
