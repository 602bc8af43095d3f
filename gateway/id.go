package gateway

import (
	"os"
	"runtime"
	"strings"

	"github.com/mailgate/mailgate/config"

	"golang.org/x/sys/unix"
)

// idFields returns the ID command's answer for the configured id-fields,
// in their order (RFC 2971; the field names are the seed's); a
// "NAME=VALUE" entry is sent as given.
func idFields(fields []string) [][2]string {
	var out [][2]string
	var uts unix.Utsname
	unix.Uname(&uts)
	for _, f := range fields {
		if name, value, ok, err := config.IDField(f); ok && err == nil {
			out = append(out, [2]string{name, value})
			continue
		}
		var v string
		switch f {
		case "name":
			v = "mailgate"
		case "version":
			v = Version
		case "vendor":
			v = "mailgate"
		case "support-url":
			v = "https://github.com/mailgate/mailgate"
		case "address":
			v = ""
		case "os":
			v = unix.ByteSliceToString(uts.Sysname[:])
			if v == "" {
				v = runtime.GOOS
			}
		case "os-version":
			v = unix.ByteSliceToString(uts.Release[:])
		case "command":
			v = os.Args[0]
		case "arguments":
			v = strings.Join(os.Args[1:], " ")
		case "environment":
			v = strings.Join(os.Environ(), " ")
		}
		if v != "" {
			out = append(out, [2]string{f, v})
		}
	}
	return out
}
