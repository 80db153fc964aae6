package decode

// Problem tokens, as found in Message.Problems. They are stable: they go
// into X-Buyer-Signals and logs, and tests match them.
const (
	// ProblemUnknownCharset: a text part or header word named a charset we
	// do not know; its text was kept as UTF-8 with other bytes read as
	// windows-1252.
	ProblemUnknownCharset = "unknown-charset"
	// ProblemBadHeaderEncoding: a header's encoded words could not be
	// decoded cleanly (unknown charset in a word).
	ProblemBadHeaderEncoding = "bad-header-encoding"
	// ProblemMalformedHeader: a line in a header block was not a field and
	// was dropped, or the empty line before the body was missing.
	ProblemMalformedHeader = "malformed-header"
	// ProblemHeaderTooBig: the header exceeded Limits.MaxHeaderBytes or
	// Limits.MaxHeaderFields; the excess fields were dropped.
	ProblemHeaderTooBig = "header-too-big"
	// ProblemMalformedMIME: broken multipart structure (no boundary, a
	// boundary that never appears, junk between parts, unterminated
	// multipart, unparseable Content-Type).
	ProblemMalformedMIME = "malformed-mime"
	// ProblemBadTransferEncoding: an unknown Content-Transfer-Encoding, or
	// base64 / quoted-printable data that was not clean.
	ProblemBadTransferEncoding = "bad-transfer-encoding"
	// ProblemTruncated: text beyond Limits.MaxTextBytes, or input beyond
	// Limits.MaxReadBytes, was not read or not kept.
	ProblemTruncated = "truncated"
	// ProblemTooDeep: multiparts or embedded messages nested deeper than
	// Limits.MaxDepth; the deeper content was counted, not decoded.
	ProblemTooDeep = "too-deep"
	// ProblemTooManyParts: more than Limits.MaxParts MIME entities; the rest
	// of the message was not read.
	ProblemTooManyParts = "too-many-parts"
	// ProblemEmptyBody: no text at all and no attachment.
	ProblemEmptyBody = "empty-body"
	// ProblemAttachmentOnly: no text, but attachments.
	ProblemAttachmentOnly = "attachment-only"
	// ProblemReadError: the reader failed before the end of the message.
	ProblemReadError = "read-error"
	// ProblemInternal: a bug in this package stopped decoding; the message
	// holds what was decoded before it.
	ProblemInternal = "decode-internal-error"
)

// problems collects tokens without duplicates, in the order first seen.
type problems struct{ list []string }

func (p *problems) add(tok string) {
	for _, t := range p.list {
		if t == tok {
			return
		}
	}
	p.list = append(p.list, tok)
}

func (p *problems) has(tok string) bool {
	for _, t := range p.list {
		if t == tok {
			return true
		}
	}
	return false
}
