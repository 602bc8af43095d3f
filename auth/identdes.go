package auth

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"os"
	"time"
)

// pidentd's encrypted replies ("USERID : OTHER :[...]", written by
// pidentd with its -E option and decrypted by its idecrypt tool) carry,
// instead of a user name, 32 characters of base64 between brackets: 24
// bytes in DES-CBC under a zero IV, three blocks. Decrypted, they are in
// network byte order:
//
//	checksum   4 bytes  the XOR of the five 32-bit words that follow
//	random     2 bytes
//	uid        2 bytes  the owner of the connection on the client's host
//	date       4 bytes  seconds since 1970
//	ip local   4 bytes  the client's address (the ident server's side)
//	ip remote  4 bytes  our address
//	port local 2 bytes  the client's port
//	port remote 2 bytes our port
//
// so the XOR of all six 32-bit words is zero for the right key. The key
// file holds one or more keys of 1024 bytes each (pidentd's ikeygen
// appends one at a time; pidentd encrypts with the last); each key is the
// C string at its start, turned into a DES key by des_string_to_key (the
// MIT/libdes fan-fold of 7-bit groups, odd parity, then a CBC checksum of
// the string under that key). Every key in the file is tried.

// identKeySize is the size of one key in a pidentd key file.
const identKeySize = 1024

// identToken is a decrypted ident reply.
type identToken struct {
	uid                 int
	date                time.Time
	clientAddr, ourAddr netip.Addr
	clientPort, ourPort uint16
}

// loadIdentKeys reads a pidentd key file and returns a DES cipher for
// each complete key in it. A trailing partial key is ignored, as pidentd
// and idecrypt ignore it.
func loadIdentKeys(path string) ([]cipher.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ident keyfile: %w", err)
	}
	var out []cipher.Block
	for len(data) >= identKeySize {
		key := data[:identKeySize]
		data = data[identKeySize:]
		if i := bytes.IndexByte(key, 0); i >= 0 {
			key = key[:i]
		}
		k := desStringToKey(key)
		block, err := des.NewCipher(k[:])
		if err != nil {
			return nil, fmt.Errorf("ident keyfile %s: %w", path, err)
		}
		out = append(out, block)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ident keyfile %s holds no complete %d-byte key", path, identKeySize)
	}
	return out, nil
}

// desStringToKey derives a DES key from a string as libdes's
// des_string_to_key does: the low 7 bits of each byte are folded into
// 56 bits, forwards over the first 8 bytes, backwards (bit-reversed)
// over the next 8, and so on; the key gets odd parity, is used to take
// the DES-CBC checksum of the string with itself as the IV, and the
// checksum, with odd parity, is the key.
func desStringToKey(s []byte) [8]byte {
	var key [8]byte
	for i, c := range s {
		if i%16 < 8 {
			key[i%8] ^= c << 1
		} else {
			key[7-i%8] ^= bits.Reverse8(c)
		}
	}
	oddParity(&key)
	block, _ := des.NewCipher(key[:]) // 8 bytes: never fails
	sum := key
	for len(s) > 0 {
		var chunk [8]byte
		n := copy(chunk[:], s)
		s = s[n:]
		for i := range sum {
			sum[i] ^= chunk[i]
		}
		block.Encrypt(sum[:], sum[:])
	}
	oddParity(&sum)
	return sum
}

// oddParity sets the low bit of each byte so that it has an odd number
// of one bits, as DES keys have.
func oddParity(k *[8]byte) {
	for i, b := range k {
		b &^= 1
		if bits.OnesCount8(b)%2 == 0 {
			b |= 1
		}
		k[i] = b
	}
}

// errIdentUndecryptable is an encrypted reply that no key decrypts.
var errIdentUndecryptable = errors.New("no key of the ident keyfile decrypts the reply")

// decryptIdent decrypts the text between the brackets of an encrypted
// reply with each key in turn.
func decryptIdent(text string, keys []cipher.Block) (identToken, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(text)
	if err != nil || len(raw) != 24 {
		return identToken{}, errors.New("an encrypted ident reply must be 32 base64 characters (24 bytes)")
	}
	for _, k := range keys {
		plain := make([]byte, 24)
		cipher.NewCBCDecrypter(k, make([]byte, 8)).CryptBlocks(plain, raw)
		var sum uint32
		for i := 0; i < 24; i += 4 {
			sum ^= binary.BigEndian.Uint32(plain[i:])
		}
		if sum != 0 {
			continue
		}
		return identToken{
			uid:        int(binary.BigEndian.Uint16(plain[6:])),
			date:       time.Unix(int64(binary.BigEndian.Uint32(plain[8:])), 0),
			clientAddr: netip.AddrFrom4([4]byte(plain[12:16])),
			ourAddr:    netip.AddrFrom4([4]byte(plain[16:20])),
			clientPort: binary.BigEndian.Uint16(plain[20:]),
			ourPort:    binary.BigEndian.Uint16(plain[22:]),
		}, nil
	}
	return identToken{}, errIdentUndecryptable
}
