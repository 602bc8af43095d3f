package tlsmgr

import (
	"time"
)

// Expiry is when a certificate the Manager serves stops being valid.
type Expiry struct {
	// Name is the certificate's first DNS name, or its subject's common
	// name.
	Name string
	// Source is "file" (the static files) or "acme".
	Source   string
	NotAfter time.Time
}

// Expiries returns the expiry of each certificate the Manager serves now:
// the static files' and, with ACME, the latest of each managed domain's
// that is obtained (for the metrics).
func (m *Manager) Expiries() []Expiry {
	var out []Expiry
	if st := m.static.Load(); st != nil && st.cert.Leaf != nil {
		leaf := st.cert.Leaf
		name := leaf.Subject.CommonName
		if len(leaf.DNSNames) > 0 {
			name = leaf.DNSNames[0]
		}
		out = append(out, Expiry{Name: name, Source: "file", NotAfter: leaf.NotAfter})
	}
	if a := m.acme.Load(); a != nil {
		for _, d := range a.domains {
			var latest time.Time
			for _, c := range a.cache.AllMatchingCertificates(d) {
				if c.Leaf != nil && c.Leaf.NotAfter.After(latest) {
					latest = c.Leaf.NotAfter
				}
			}
			if !latest.IsZero() {
				out = append(out, Expiry{Name: d, Source: "acme", NotAfter: latest})
			}
		}
	}
	return out
}
