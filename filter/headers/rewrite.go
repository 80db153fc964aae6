// Package headers rewrites the header section of a message as it streams
// from the SMTP DATA phase to the spool: it prepends our trace header, drops
// the header fields tradesift owns (so a sender cannot forge a grade), and
// passes every other byte through unchanged — original folding, original
// line ends, body byte for byte — so DKIM signatures keep verifying
// downstream (RFC 6376 §3.4). It never holds more than one header field in
// memory, and never the body.
package headers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Limits bound what Rewrite accepts in the header section. A zero field
// means no limit. The body is not limited here: the SMTP layer counts the
// whole message.
type Limits struct {
	// MaxHeaderBytes bounds the header section, dropped fields and the
	// blank separator line included.
	MaxHeaderBytes int
	// MaxFields bounds the number of header fields.
	MaxFields int
	// MaxLineLength bounds one physical header line, its line end
	// excluded (RFC 5322 §2.1.1 says 998).
	MaxLineLength int
	// MaxHops bounds the Received: fields (RFC 5321 §6.3: a mail loop;
	// Postfix's hopcount_limit is 50).
	MaxHops int
}

// LimitKind says which of the Limits a message broke.
type LimitKind int

const (
	// HeaderSize: the header section is larger than MaxHeaderBytes.
	HeaderSize LimitKind = iota + 1
	// FieldCount: more header fields than MaxFields.
	FieldCount
	// LineLength: a header line longer than MaxLineLength.
	LineLength
	// Hops: more Received: fields than MaxHops (a mail loop).
	Hops
)

// LimitError is returned by Rewrite when the message breaks one of its
// Limits. It is the sender's fault: the SMTP layer maps it to a permanent
// 552/554 reply.
type LimitError struct {
	Kind  LimitKind
	Limit int
}

func (e *LimitError) Error() string {
	switch e.Kind {
	case HeaderSize:
		return fmt.Sprintf("header section larger than %d octets", e.Limit)
	case FieldCount:
		return fmt.Sprintf("more than %d header fields", e.Limit)
	case LineLength:
		return fmt.Sprintf("header line longer than %d octets", e.Limit)
	case Hops:
		return fmt.Sprintf("more than %d Received: fields (mail loop?)", e.Limit)
	}
	return "header limit exceeded"
}

// WriteError wraps an error of the destination writer, so that a caller
// can tell "could not store" (our fault, temporary) from "could not read"
// (the client's connection or data).
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return "writing message: " + e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

// bufSize is the read buffer; header lines longer than this are gathered
// in the field buffer, up to the limits.
const bufSize = 16 << 10

// Rewrite copies the message read from src to dst: first prepend (our
// Received: field, CRLF-terminated), then the header fields of src in their
// original bytes except those for which drop returns true, then the rest
// (the blank line and the body) verbatim.
//
// drop gets the field name as written (trailing white space before the
// colon removed, case kept) and the raw value: every byte after the colon,
// folding line ends included. drop may be nil (keep everything).
//
// The header section ends at the first empty line, or at the first line
// that is neither a header field nor the continuation of one (that line
// and everything after it is body, as Postfix's cleanup and most parsers
// see it), except an mbox "From " line at the very start. Lines may end in
// CRLF or LF; bytes are never changed, with one exception: when the
// message has no header at all (its first line is neither a field nor
// empty, e.g. it starts with white space) and prepend is not empty, a CRLF
// is written after prepend, so the prepended fields stay a header of their
// own and the message keeps being all body.
//
// Errors: a *LimitError when the header breaks lim; a *WriteError when dst
// fails; otherwise the error of src, unwrapped (so an *smtp.SMTPError from
// the SMTP data reader keeps its identity).
func Rewrite(dst io.Writer, src io.Reader, prepend []byte, drop func(name string, value []byte) bool, lim Limits) error {
	return rewrite(dst, src, prepend, drop, lim, bufSize)
}

func rewrite(dst io.Writer, src io.Reader, prepend []byte, drop func(name string, value []byte) bool, lim Limits, size int) error {
	rw := rewriterPool.Get().(*rewriter)
	defer rw.release()
	if rw.br == nil || rw.br.Size() != size {
		rw.br = bufio.NewReaderSize(src, size)
	} else {
		rw.br.Reset(src)
	}
	rw.ew.w = dst
	rw.bw.Reset(&rw.ew)
	rw.drop, rw.lim = drop, lim
	if _, err := rw.bw.Write(prepend); err != nil {
		return err
	}
	rw.prepended = len(prepend) > 0
	if err := rw.header(); err != nil {
		return err
	}
	// The body streams: bufio.Reader.WriteTo hands over its buffered bytes
	// first, then copies the rest through the writer's buffer.
	if _, err := rw.br.WriteTo(rw.bw); err != nil {
		return err
	}
	return rw.bw.Flush()
}

// Rewriters are pooled: their buffers are most of the cost of a small
// message.
var rewriterPool = sync.Pool{New: func() any {
	rw := &rewriter{}
	rw.bw = bufio.NewWriterSize(&rw.ew, 32<<10)
	return rw
}}

func (rw *rewriter) release() {
	rw.br.Reset(nil)
	rw.bw.Reset(nil)
	rw.ew.w = nil
	rw.drop = nil
	rw.field, rw.line = rw.field[:0], rw.line[:0]
	if cap(rw.field) > 64<<10 {
		rw.field = nil
	}
	if cap(rw.line) > 64<<10 {
		rw.line = nil
	}
	rw.nameEnd, rw.colon, rw.total, rw.nfields, rw.hops, rw.lines = 0, 0, 0, 0, 0, 0
	rw.prepended = false
	rewriterPool.Put(rw)
}

type rewriter struct {
	br   *bufio.Reader
	bw   *bufio.Writer
	ew   errWriter
	drop func(string, []byte) bool
	lim  Limits

	field   []byte // the current field: first line and its continuations
	nameEnd int    // field[:nameEnd] is the name, white space trimmed
	colon   int    // index of the colon in field
	total   int    // header octets read so far
	nfields int
	hops    int
	lines   int

	prepended bool
	line      []byte // scratch for lines longer than the read buffer
}

// errWriter marks errors of the destination as *WriteError, so they are
// told apart from read errors even after passing through bufio.
type errWriter struct{ w io.Writer }

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		var we *WriteError
		if !errors.As(err, &we) {
			err = &WriteError{Err: err}
		}
	}
	return n, err
}

// header processes the header section; it returns nil once the separator
// or the first body line was written (the rest is left in rw.br), or at
// the end of input.
func (rw *rewriter) header() error {
	for {
		line, err := rw.readLine()
		if len(line) > 0 {
			rw.total += len(line)
			if rw.lim.MaxHeaderBytes > 0 && rw.total > rw.lim.MaxHeaderBytes {
				return &LimitError{Kind: HeaderSize, Limit: rw.lim.MaxHeaderBytes}
			}
			if rw.lim.MaxLineLength > 0 && contentLen(line) > rw.lim.MaxLineLength {
				return &LimitError{Kind: LineLength, Limit: rw.lim.MaxLineLength}
			}
			rw.lines++
			switch {
			case (line[0] == ' ' || line[0] == '\t') && len(rw.field) > 0:
				rw.field = append(rw.field, line...)
			case rw.lines == 1 && bytes.HasPrefix(line, []byte("From ")):
				// An mbox separator: lenient parsers (Python's email)
				// skip it and read the fields below as the header, so
				// they are treated as fields here too. Kept as is.
				if _, err := rw.bw.Write(line); err != nil {
					return err
				}
			default:
				colon, nameEnd := fieldName(line)
				if err := rw.flushField(); err != nil {
					return err
				}
				if colon < 0 {
					// The separator line, or the first body line.
					if rw.lines == 1 && rw.prepended && contentLen(line) > 0 {
						// No header at all: keep it so, or the first line
						// would join our last field (when it starts with
						// white space) or be read as a field. Postfix's
						// cleanup inserts the blank line likewise.
						if _, err := rw.bw.WriteString("\r\n"); err != nil {
							return err
						}
					}
					_, werr := rw.bw.Write(line)
					return werr
				}
				rw.nfields++
				if rw.lim.MaxFields > 0 && rw.nfields > rw.lim.MaxFields {
					return &LimitError{Kind: FieldCount, Limit: rw.lim.MaxFields}
				}
				rw.field = append(rw.field[:0], line...)
				rw.colon, rw.nameEnd = colon, nameEnd
				if rw.lim.MaxHops > 0 && nameEnd == len("Received") && bytes.EqualFold(line[:nameEnd], []byte("Received")) {
					if rw.hops++; rw.hops > rw.lim.MaxHops {
						return &LimitError{Kind: Hops, Limit: rw.lim.MaxHops}
					}
				}
			}
		}
		if err == io.EOF {
			return rw.flushField()
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns the next line with its line end (the last line of the
// input may have none), at most the line limit plus a little: a longer
// header line is an error anyway, so it is never gathered whole.
func (rw *rewriter) readLine() ([]byte, error) {
	s, err := rw.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return s, err
	}
	rw.line = append(rw.line[:0], s...)
	for {
		if rw.lim.MaxLineLength > 0 && len(rw.line) > rw.lim.MaxLineLength+2 {
			return rw.line, nil // the caller reports LineLength
		}
		if rw.lim.MaxHeaderBytes > 0 && rw.total+len(rw.line) > rw.lim.MaxHeaderBytes {
			return rw.line, nil // the caller reports HeaderSize
		}
		s, err = rw.br.ReadSlice('\n')
		rw.line = append(rw.line, s...)
		if err != bufio.ErrBufferFull {
			return rw.line, err
		}
	}
}

// flushField writes the pending field unless drop claims it.
func (rw *rewriter) flushField() error {
	if len(rw.field) == 0 {
		return nil
	}
	f := rw.field
	rw.field = rw.field[:0]
	if rw.drop != nil && rw.drop(string(f[:rw.nameEnd]), f[rw.colon+1:]) {
		return nil
	}
	_, err := rw.bw.Write(f)
	return err
}

// contentLen is the length of line without its CRLF or LF.
func contentLen(line []byte) int {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	return n
}

// fieldName reports where the colon of a header field line is, and where
// its name ends (RFC 5322 §3.6.8 ftext, then the obsolete white space
// before the colon of §4.5.8); colon is -1 when line is not a field.
func fieldName(line []byte) (colon, nameEnd int) {
	i := 0
	for i < len(line) && line[i] >= 33 && line[i] <= 126 && line[i] != ':' {
		i++
	}
	if i == 0 {
		return -1, 0
	}
	nameEnd = i
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i == len(line) || line[i] != ':' {
		return -1, 0
	}
	return i, nameEnd
}
