package proxyauth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxNetstring bounds a socketmap request, as Postfix's own
// socketmap_max_reply bounds replies (100000).
const maxNetstring = 100000

// errNetstring is the error of a malformed netstring.
var errNetstring = errors.New("malformed netstring")

// readNetstring reads one netstring, "LEN:DATA,", with LEN in decimal
// and at most max (D. J. Bernstein's netstrings, as Postfix's
// socketmap_table(5) speaks them). io.EOF before the first byte is a
// clean end; anything cut short later is io.ErrUnexpectedEOF.
func readNetstring(r *bufio.Reader, max int) ([]byte, error) {
	n, digits := 0, 0
	for {
		b, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && digits > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if b == ':' {
			break
		}
		if b < '0' || b > '9' {
			return nil, fmt.Errorf("%w: %q in the length", errNetstring, b)
		}
		digits++
		if n = n*10 + int(b-'0'); n > max {
			return nil, fmt.Errorf("%w: longer than %d bytes", errNetstring, max)
		}
	}
	if digits == 0 {
		return nil, fmt.Errorf("%w: no length", errNetstring)
	}
	data := make([]byte, n+1)
	if _, err := io.ReadFull(r, data); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if data[n] != ',' {
		return nil, fmt.Errorf("%w: no ',' after %d bytes", errNetstring, n)
	}
	return data[:n], nil
}

// appendNetstring appends s as a netstring to b.
func appendNetstring(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	b = append(b, s...)
	return append(b, ',')
}
