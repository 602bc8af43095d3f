package message

import (
	"strconv"
	"strings"
	"time"
)

// zoneOffsets are the zone names that dates use, in seconds east of UTC:
// those of RFC 5322 section 4.3 and a few common in the wild. Military
// single letters and unknown names count as UTC, as RFC 5322 advises.
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600,
	"CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600,
	"PST": -8 * 3600, "PDT": -7 * 3600,
	"BST": 3600, "CET": 3600, "MET": 3600, "CEST": 2 * 3600, "MEST": 2 * 3600,
	"EET": 2 * 3600, "EEST": 3 * 3600, "JST": 9 * 3600,
}

var monthNames = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

var dayNames = [...]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// ParseDate parses the date-time of a Date header (RFC 5322 section
// 3.3) liberally, with the obsolete forms of section 4.3: the day name is
// optional, years may have two digits (00-49 is 2000-2049, 50-99 is
// 1950-1999) or three (plus 1900), seconds may be missing, zones may be
// names, comments and extra white space may appear anywhere. It also
// reads the asctime layout ("Mon Jan  2 15:04:05 2006") and numeric
// "2006-01-02". A missing time is midnight; a missing or unknown zone is
// UTC. The result keeps the date's own zone offset.
func ParseDate(value string) (time.Time, bool) {
	if len(value) > 512 {
		return time.Time{}, false
	}
	var (
		nums, lens         []int
		month              time.Month
		hour, minute, sec  = 0, 0, 0
		haveTime, haveZone bool
		offset             int
	)
	for _, tok := range dateTokens(value) {
		lower := strings.ToLower(strings.TrimSuffix(tok, "."))
		switch {
		case strings.IndexByte(tok, ':') > 0 && !haveTime:
			h, m, s, ok := parseClock(tok)
			if !ok {
				return time.Time{}, false
			}
			hour, minute, sec, haveTime = h, m, s, true
		case (tok[0] == '+' || tok[0] == '-') && haveTime && !haveZone:
			off, ok := parseOffset(tok[1:])
			if !ok {
				continue
			}
			if tok[0] == '-' {
				off = -off
			}
			offset, haveZone = off, true
		case isDigits(tok):
			if len(nums) >= 3 {
				return time.Time{}, false
			}
			n, _ := strconv.Atoi(tok)
			nums, lens = append(nums, n), append(lens, len(tok))
		case month == 0 && len(lower) >= 3 && monthIndex(lower) > 0:
			month = time.Month(monthIndex(lower))
		case haveTime && !haveZone:
			offset, haveZone = zoneOffsets[strings.ToUpper(tok)], true
		case month == 0 && len(nums) == 0 && isDayName(lower):
		default:
			if month != 0 && len(nums) >= 2 && haveTime {
				continue // trailing garbage after a complete date
			}
			return time.Time{}, false
		}
	}

	var day, year, yearDigits int
	switch {
	case month != 0 && len(nums) == 2:
		day, year, yearDigits = nums[0], nums[1], lens[1]
	case month == 0 && len(nums) == 3 && lens[0] == 4:
		// 2006-01-02
		year, day, yearDigits = nums[0], nums[2], 4
		if nums[1] < 1 || nums[1] > 12 {
			return time.Time{}, false
		}
		month = time.Month(nums[1])
	default:
		return time.Time{}, false
	}
	switch {
	case yearDigits == 2 || (yearDigits == 1 && year < 10):
		if year < 50 {
			year += 2000
		} else {
			year += 1900
		}
	case yearDigits == 3:
		year += 1900
	}
	if day < 1 || day > 31 || year < 1 || year > 9999 {
		return time.Time{}, false
	}
	return time.Date(year, month, day, hour, minute, sec, 0, time.FixedZone("", offset)), true
}

// dateTokens strips comments and splits a date at white space, commas
// and dashes between a day, a month and a year ("2-Jan-2006").
func dateTokens(v string) []string {
	var b strings.Builder
	depth, sawColon := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == ',':
			b.WriteByte(' ')
		case c == '-' && i > 0 && v[i-1] != ' ' && v[i-1] != '\t' && !sawColon:
			b.WriteByte(' ')
		default:
			sawColon = sawColon || c == ':'
			b.WriteByte(c)
		}
	}
	return strings.Fields(b.String())
}

// parseClock reads hh:mm or hh:mm:ss.
func parseClock(s string) (h, m, sec int, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	vals := [3]int{}
	for i, p := range parts {
		if p == "" || len(p) > 2 || !isDigits(p) {
			return 0, 0, 0, false
		}
		vals[i], _ = strconv.Atoi(p)
	}
	if vals[0] > 23 || vals[1] > 59 || vals[2] > 60 {
		return 0, 0, 0, false
	}
	return vals[0], vals[1], min(vals[2], 59), true
}

// parseOffset reads hhmm (or hh, or hh:mm) and returns it in seconds.
func parseOffset(s string) (int, bool) {
	s = strings.Replace(s, ":", "", 1)
	if len(s) == 2 {
		s += "00"
	}
	if len(s) != 4 || !isDigits(s) {
		return 0, false
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[2:])
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*3600 + m*60, true
}

// isDigits reports whether s is a non-empty run of ASCII digits that fits
// an int comfortably.
func isDigits(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// monthIndex returns 1-12 for a month name or abbreviation, 0 otherwise.
func monthIndex(lower string) int {
	for i, m := range monthNames {
		if strings.HasPrefix(lower, m) {
			return i + 1
		}
	}
	return 0
}

// isDayName reports whether lower is a day name or abbreviation.
func isDayName(lower string) bool {
	for _, d := range dayNames {
		if strings.HasPrefix(lower, d) {
			return true
		}
	}
	return false
}
