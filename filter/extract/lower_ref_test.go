package extract

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// lowerRef is lower as it was before it copied unchanged runs at once.
func FuzzLowerSameAsReference(f *testing.F) {
	for _, s := range []string{"", "ABC def\t\r", "Ünïcödé ÀÉÎ", "İK\u212a", "\u00a0\u202f\u2009 x", "bad \xff\xe3\x80 é", "\xef\xbf\xbd Σ ǅ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := lower(s), lowerRef(s); got != want {
			t.Errorf("lower(%q) = %q, want %q", s, got, want)
		}
	})
}

func lowerRef(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			case c == '\t' || c == '\r':
				c = ' '
			}
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch r {
		case '\u00a0', '\u202f', '\u2009': // no-break and thin spaces
			for k := 0; k < n; k++ {
				b = append(b, ' ')
			}
			continue
		}
		l := unicode.ToLower(r)
		if r == utf8.RuneError || utf8.RuneLen(l) != n {
			b = append(b, s[i-n:i]...)
			continue
		}
		b = utf8.AppendRune(b, l)
	}
	return string(b)
}

func FuzzFieldsAtSameAsFieldsFunc(f *testing.F) {
	for _, s := range []string{"", "a|b · c", "|| x ·· y,z ", "\xc2\xb7\xc2", "\xe2\xc2\xb7|\xf0\x9f\xc2\xb7", "tel · +49 | www.x.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bar := func(r rune) bool { return r == '|' || r == '·' }
		word := func(r rune) bool { return r == ' ' || r == '|' || r == '·' || r == ',' }
		if got, want := fieldsAt(s, "|"), strings.FieldsFunc(s, bar); !slices.Equal(got, want) {
			t.Errorf("fieldsAt(%q, |) = %q, want %q", s, got, want)
		}
		if got, want := fieldsAt(s, " |,"), strings.FieldsFunc(s, word); !slices.Equal(got, want) {
			t.Errorf("fieldsAt(%q, \" |,\") = %q, want %q", s, got, want)
		}
	})
}
