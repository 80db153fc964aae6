// Package deliver moves spooled messages to their destination: a scheduler
// with bounded workers, exponential backoff, a hard give-up time, and DSN
// bounces for what cannot be delivered; couriers for SMTP, LMTP and Maildir.
package deliver

import (
	"context"
	"errors"
	"io"
)

// Courier hands one message to one destination.
type Courier interface {
	// Deliver sends msg from the envelope sender to rcpts and returns one
	// error per recipient, in order (nil: accepted). An error for which
	// IsPermanent is true must not be retried; any other error is
	// temporary.
	Deliver(ctx context.Context, from string, rcpts []string, msg io.Reader) []error
}

// PermanentError marks a failure that retrying cannot fix (5xx).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as permanent.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err is permanent; unknown errors are
// temporary.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
