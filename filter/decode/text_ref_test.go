package decode

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The reference versions below are normText and utf8OrLatin1 as they were
// before they copied runs of characters at once; the fuzz target checks
// the fast ones give the same output.

func FuzzNormTextSameAsReference(f *testing.F) {
	for _, s := range []string{"", "a  b\t\tc\r\n\r\n\r\nd", "\u00a0x\u3000y\u2028z\ufeff", "bad \xff\xfe é ü", "\xef\xbf\xbd ok", "\x85\u0085 c1", "x \u200b y\u00ad"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := normText(string(b)), normTextRef(string(b)); got != want {
			t.Errorf("normText(%q) = %q, want %q", b, got, want)
		}
		if got, want := utf8OrLatin1(b), utf8OrLatin1Ref(b); got != want {
			t.Errorf("utf8OrLatin1(%q) = %q, want %q", b, got, want)
		}
	})
}

func normTextRef(s string) string {
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
				flushSpaceRef(&sb, &pendingSpace)
				sb.WriteByte(c)
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
				flushSpaceRef(&sb, &pendingSpace)
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
		flushSpaceRef(&sb, &pendingSpace)
		sb.WriteRune(r)
	}
	return strings.TrimRight(sb.String(), "\n")
}
func flushSpaceRef(sb *strings.Builder, n *int) {
	switch {
	case *n < 0:
		sb.WriteByte('\t')
	case *n > 0:
		sb.WriteString(strings.Repeat(" ", *n))
	}
	*n = 0
}
func utf8OrLatin1Ref(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			sb.WriteRune(cp1252(b[0]))
			b = b[1:]
			continue
		}
		sb.Write(b[:n])
		b = b[n:]
	}
	return sb.String()
}
