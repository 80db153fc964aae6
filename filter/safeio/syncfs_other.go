//go:build !linux

package safeio

import "errors"

// SyncFS is not available here; callers fall back to per-file fsyncs.
func SyncFS(dir string) error { return errors.ErrUnsupported }
