package auth

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Quota is a user's own mail quota, as a users-file line's eighth field
// or an SQL back-end's quota column gives it. For each resource, 0 means
// that the user has no limit of their own (the configured default
// applies), a negative value that the user has no limit at all.
type Quota struct {
	Storage  int64 // bytes
	Messages int64
}

// Unlimited is the value of a Quota resource that has no limit.
const Unlimited = -1

// ParseQuota reads a quota field: comma-separated "resource=value"
// items, where resource is "storage" (a size: bytes, or a number with
// K, M, G or T, or KiB..TiB, for powers of 1024, or kB..TB for powers of
// 1000) or "messages" (a count), and value may be "none" or 0 for no
// limit, as Dovecot's storage=0 is.
// An empty field is the zero Quota. For example "storage=5G,messages=10000".
func ParseQuota(s string) (Quota, error) {
	var q Quota
	if strings.TrimSpace(s) == "" {
		return q, nil
	}
	for _, item := range strings.Split(s, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return Quota{}, fmt.Errorf("quota item %q: want resource=value", item)
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		var n int64
		var err error
		switch {
		case strings.EqualFold(val, "none") || val == "0":
			n = Unlimited
		case key == "storage":
			n, err = parseQuotaSize(val)
		case key == "messages":
			n, err = parseQuotaCount(val)
		}
		switch key {
		case "storage":
			q.Storage = n
		case "messages":
			q.Messages = n
		default:
			return Quota{}, fmt.Errorf("quota item %q: resource %q is not storage or messages", item, key)
		}
		if err != nil {
			return Quota{}, fmt.Errorf("quota item %q: %w", item, err)
		}
	}
	return q, nil
}

// String formats q as ParseQuota reads it; the zero Quota is "".
func (q Quota) String() string {
	var items []string
	for _, r := range []struct {
		name string
		n    int64
	}{{"storage", q.Storage}, {"messages", q.Messages}} {
		switch {
		case r.n < 0:
			items = append(items, r.name+"=none")
		case r.n > 0:
			items = append(items, r.name+"="+strconv.FormatInt(r.n, 10))
		}
	}
	return strings.Join(items, ",")
}

// quotaUnits are the size suffixes parseQuotaSize knows, longest first.
var quotaUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

func parseQuotaSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range quotaUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := parseQuotaCount(s)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}

func parseQuotaCount(s string) (int64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return n, nil
}
