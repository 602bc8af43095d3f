package fsutil

import (
	"path/filepath"
	"sync"
)

// Shared is one map of per-file facts (sizes, dates) that every handle
// open on the same mailbox in this process shares, so that a session
// opening a mailbox another session has open scans it warm. Each scan
// replaces the map whole; a map once stored is never changed.
type Shared[V any] struct {
	refs int // guarded by the Registry's mu

	mu sync.Mutex
	m  map[string]V
}

// Load returns the map last stored, or nil.
func (s *Shared[V]) Load() map[string]V {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m
}

// Store replaces the map.
func (s *Shared[V]) Store(m map[string]V) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = m
}

// Registry hands out one Shared per mailbox path while handles on it are
// open. The zero value is usable.
type Registry[V any] struct {
	mu     sync.Mutex
	byPath map[string]*Shared[V]
}

// Acquire returns the Shared of the mailbox at path, and the function
// that releases it when the handle closes.
func (r *Registry[V]) Acquire(path string) (*Shared[V], func()) {
	path = filepath.Clean(path)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byPath == nil {
		r.byPath = make(map[string]*Shared[V])
	}
	s := r.byPath[path]
	if s == nil {
		s = &Shared[V]{}
		r.byPath[path] = s
	}
	s.refs++
	return s, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if s.refs--; s.refs == 0 {
			delete(r.byPath, path)
		}
	}
}
