package decode

import (
	"encoding/base64"
	"strings"
)

// Content-Transfer-Encoding decoding, done in memory on a bounded slice and
// leniently: real mail has soft line breaks with trailing blanks, lower-case
// hex, stray '=' signs, base64 with blanks, missing padding and junk after
// the end. Neither decoder ever fails; ok is false when the input was not
// clean, so the caller can note it.

// decodeTransfer decodes raw according to the Content-Transfer-Encoding
// value cte. known is false for an encoding we do not know, in which case
// raw is returned as is.
func decodeTransfer(raw []byte, cte string) (out []byte, known, clean bool) {
	v := strings.ToLower(strings.TrimSpace(cte))
	if i := strings.IndexAny(v, "; \t"); i >= 0 && !strings.HasPrefix(v, "quoted ") && !strings.HasPrefix(v, "8 ") && !strings.HasPrefix(v, "7 ") {
		v = v[:i] // "quoted-printable;"
	}
	if strings.ContainsAny(v, " \t-_") {
		v = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '-' || r == '_' {
				return -1
			}
			return r
		}, v)
	}
	switch v {
	case "quotedprintable", "qp":
		out, _ = decodeQP(raw) // a stray '=' is common and harmless
		return out, true, true
	case "base64":
		out, clean = decodeBase64(raw)
		return out, true, clean
	case "", "7bit", "8bit", "7bits", "8bits", "binary", "none", "plain", "text", "texthtml", "textplain":
		return raw, true, true
	}
	return raw, false, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeQP decodes quoted-printable (RFC 2045 §6.7). An '=' that starts no
// valid escape is kept literally.
func decodeQP(in []byte) ([]byte, bool) {
	out := make([]byte, 0, len(in))
	clean := true
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		// Soft line break: '=' followed by optional blanks and a line end.
		j := i + 1
		for j < len(in) && (in[j] == ' ' || in[j] == '\t') {
			j++
		}
		if j == len(in) {
			i = j
			continue
		}
		if in[j] == '\n' {
			i = j
			continue
		}
		if in[j] == '\r' {
			if j+1 < len(in) && in[j+1] == '\n' {
				j++
			}
			i = j
			continue
		}
		if i+2 < len(in) {
			h, ok1 := unhex(in[i+1])
			l, ok2 := unhex(in[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|l)
				i += 2
				continue
			}
		}
		clean = false
		out = append(out, c)
	}
	return out, clean
}

// decodeBase64 decodes base64 ignoring every byte outside the alphabet.
// Padding ends a run; some mailers concatenate several encoded runs, so
// decoding continues after it. A dangling partial group is decoded as far
// as it goes.
func decodeBase64(in []byte) ([]byte, bool) {
	clean := true
	junk := 0
	run := make([]byte, 0, len(in))
	out := make([]byte, 0, len(in)*3/4+3)
	flush := func() {
		rem := len(run) % 4
		full := run[:len(run)-rem]
		n := len(out)
		out = out[:n+base64.StdEncoding.DecodedLen(len(full))]
		m, _ := base64.StdEncoding.Decode(out[n:], full)
		out = out[:n+m]
		if rem > 1 {
			var tail [3]byte
			k, _ := base64.RawStdEncoding.Decode(tail[:], run[len(run)-rem:])
			out = append(out, tail[:k]...)
		} else if rem == 1 {
			clean = false
		}
		run = run[:0]
	}
	for _, c := range in {
		switch b64Class[c] {
		case b64Letter:
			run = append(run, c)
		case b64Blank:
		case b64Pad:
			if len(run) > 0 {
				flush()
			}
		default:
			junk++
		}
	}
	flush()
	return out, clean && junk <= 16
}

// b64Class sorts the bytes for decodeBase64.
const (
	b64Junk = iota
	b64Letter
	b64Blank
	b64Pad
)

var b64Class = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			t[c] = b64Letter
		case c == '\r' || c == '\n' || c == ' ' || c == '\t':
			t[c] = b64Blank
		case c == '=':
			t[c] = b64Pad
		}
	}
	return t
}()
