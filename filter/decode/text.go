package decode

import (
	"strings"
	"unicode/utf8"
)

// normText turns decoded text into clean UTF-8 lines: LF line ends, no
// control characters other than tab, no byte-order marks or zero-width
// joiners' cousins that break word matching, no trailing blanks, at most
// one empty line in a row, and no leading or trailing empty lines.
func normText(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	blank := 0     // empty lines just seen
	lineStart := 0 // index in sb of the current line
	pendingSpace := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\r':
				if i < len(s) && s[i] == '\n' {
					continue
				}
				c = '\n'
				fallthrough
			case c == '\n':
				pendingSpace = 0
				if sb.Len() == lineStart {
					blank++
					if blank > 1 || sb.Len() == 0 {
						continue
					}
				} else {
					blank = 0
				}
				sb.WriteByte('\n')
				lineStart = sb.Len()
			case c == ' ' || c == '\t':
				pendingSpace++
				if c == '\t' {
					pendingSpace = -1 << 20 // remember a tab
				}
			case c < 0x20 || c == 0x7f:
				// drop NUL and other controls
			default:
				flushSpace(&sb, &pendingSpace)
				// Copy the run of kept characters this byte starts at once.
				j := keptRunEnd(s, i)
				sb.WriteString(s[i-1 : j])
				i = j
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch r {
		case 0xFEFF, 0x200B, 0x00AD:
			continue
		case 0x00A0, 0x2007, 0x202F, 0x3000:
			if r == 0x3000 {
				flushSpace(&sb, &pendingSpace)
				sb.WriteRune(r)
				continue
			}
			pendingSpace++
			continue
		case 0x2028, 0x2029:
			sb.WriteByte('\n')
			lineStart = sb.Len()
			pendingSpace = 0
			continue
		}
		if r >= 0x80 && r < 0xa0 {
			continue // C1 controls
		}
		flushSpace(&sb, &pendingSpace)
		if r == utf8.RuneError && n == 1 {
			sb.WriteRune(r) // an invalid byte becomes U+FFFD
			continue
		}
		j := keptRunEnd(s, i)
		sb.WriteString(s[i-n : j])
		i = j
	}
	return strings.TrimRight(sb.String(), "\n")
}

// keptRunEnd returns the end of the run of characters from i that
// normText writes as they are: printable ASCII other than blanks, and
// valid runes it neither drops nor replaces (a valid rune's encoding is
// what WriteRune writes).
func keptRunEnd(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c > ' ' && c < 0x7f {
				i++
				continue
			}
			return i
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1, r < 0xa0, r == 0xFEFF, r == 0x200B, r == 0x00AD,
			r == 0x00A0, r == 0x2007, r == 0x202F, r == 0x2028, r == 0x2029:
			return i
		}
		i += n
	}
	return i
}

const spaces = "                                " // 32

func flushSpace(sb *strings.Builder, n *int) {
	switch {
	case *n < 0:
		sb.WriteByte('\t')
	case *n == 1:
		sb.WriteByte(' ')
	case *n > 0:
		for k := *n; k > 0; k -= len(spaces) {
			sb.WriteString(spaces[:min(k, len(spaces))])
		}
	}
	*n = 0
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676):
// a line ending in a space continues on the next line, unless it is the
// signature separator. Quoted lines are left alone.
func unflow(s string, delsp bool) string {
	lines := strings.Split(s, "\n")
	var sb strings.Builder
	sb.Grow(len(s))
	for i, l := range lines {
		if strings.HasPrefix(l, " ") {
			l = l[1:] // space-stuffing
		}
		soft := strings.HasSuffix(l, " ") && l != "-- " && !strings.HasPrefix(l, ">")
		if soft && delsp {
			l = l[:len(l)-1]
		}
		sb.WriteString(l)
		if !soft && i < len(lines)-1 {
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// cutUTF8 cuts s to at most n bytes at a rune boundary, preferring the end
// of a line when one is near.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	s = s[:n]
	if i := strings.LastIndexByte(s, '\n'); i > len(s)-200 && i > 0 {
		s = s[:i]
	}
	return s
}
