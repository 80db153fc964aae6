//go:build !linux

package safeio

import "errors"

// HaveSyncFS tells whether SyncFS works on this system.
const HaveSyncFS = false

// SyncFS is not available here; callers fall back to per-file fsyncs.
func SyncFS(dir string) error { return errors.ErrUnsupported }
