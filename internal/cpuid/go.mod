// A stand-in for github.com/klauspost/cpuid/v2, which mailgate's go.mod
// replaces with this directory: see cpuid.go.
module github.com/klauspost/cpuid/v2

go 1.26.0

require golang.org/x/sys v0.50.0
