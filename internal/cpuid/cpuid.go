// Package cpuid stands in for github.com/klauspost/cpuid/v2 in mailgate's
// build (go.mod replaces that module with this directory). mailgate does
// not use cpuid itself: certmagic asks whether the CPU has AES-NI (to
// order its TLS 1.2 cipher suites) and zeebo/blake3, which certmagic
// uses, whether it has AVX2 and SSE4.1. The real package answers from a
// full detection that its init runs in every process, about 0.6 ms of
// CPUID instructions on a virtual machine (each one a trap to the
// hypervisor), paid again by every session of inetd mode (mailgate -i),
// where a session takes about 9 ms of CPU in all. This package answers
// those three questions from golang.org/x/sys/cpu, which the standard
// library's crypto and golang.org/x/crypto have detected already, and has
// no init.
//
// Only the names that mailgate's dependencies use are here; a dependency
// that starts to use another one fails to compile, and then this package
// grows or the replace goes.
package cpuid

import "golang.org/x/sys/cpu"

// FeatureID is a CPU feature, as in klauspost/cpuid.
type FeatureID int

// The features mailgate's dependencies ask about. Like klauspost/cpuid's,
// they are x86 features: on other architectures the CPU has none of them.
const (
	UNKNOWN FeatureID = iota
	AESNI             // AES instructions (AES-NI)
	AVX2              // AVX2, usable: the operating system saves the AVX state
	SSE4              // SSE4.1
)

// CPUInfo answers what the CPU supports.
type CPUInfo struct{}

// CPU is the CPU this process runs on.
var CPU CPUInfo

// Has reports whether the CPU has feature id.
func (c *CPUInfo) Has(id FeatureID) bool {
	switch id {
	case AESNI:
		return cpu.X86.HasAES
	case AVX2:
		return cpu.X86.HasAVX2
	case SSE4:
		return cpu.X86.HasSSE41
	}
	return false
}

// Supports reports whether the CPU has every feature of ids.
func (c CPUInfo) Supports(ids ...FeatureID) bool {
	for _, id := range ids {
		if !c.Has(id) {
			return false
		}
	}
	return true
}
