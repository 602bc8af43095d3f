package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Size is a number of bytes. In the file it is an integer ("65536") or a
// string of a number and a unit: B; KiB, MiB, GiB, TiB (powers of 1024);
// K, M, G, T (the same, as Dovecot writes them); kB/KB, MB, GB, TB (powers
// of 1000). Units are case-insensitive and may follow a space.
type Size int64

// Bytes returns the size as an int64.
func (s Size) Bytes() int64 { return int64(s) }

// String writes the size with the largest binary unit that divides it.
func (s Size) String() string {
	n := int64(s)
	for _, u := range []struct {
		name string
		mult int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// MarshalText writes the size as String does.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalTOML reads an integer or a size string.
func (s *Size) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return fmt.Errorf("size %d is negative", v)
		}
		*s = Size(v)
		return nil
	case string:
		n, err := ParseSize(v)
		if err != nil {
			return err
		}
		*s = n
		return nil
	}
	return fmt.Errorf("want a number of bytes or a size string such as \"64KiB\", not %s", tomlTypeName(v))
}

// ParseSize reads a size string such as "65536", "64KiB" or "1 GB"; see
// [Size] for the units.
func ParseSize(str string) (Size, error) {
	t := strings.TrimSpace(str)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q does not start with a number", str)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q is too large", str)
	}
	unit := strings.ToLower(strings.TrimSpace(t[i:]))
	var mult int64
	switch unit {
	case "", "b":
		mult = 1
	case "k", "kib":
		mult = 1 << 10
	case "m", "mib":
		mult = 1 << 20
	case "g", "gib":
		mult = 1 << 30
	case "t", "tib":
		mult = 1 << 40
	case "kb":
		mult = 1e3
	case "mb":
		mult = 1e6
	case "gb":
		mult = 1e9
	case "tb":
		mult = 1e12
	default:
		return 0, fmt.Errorf("size %q has an unknown unit %q; use B, KiB, MiB, GiB or TiB", str, t[i:])
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", str)
	}
	return Size(n * mult), nil
}
