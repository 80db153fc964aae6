// Package lcase lower-cases text as unicode.ToLower and strings.ToLower
// do, faster on the runes of scripts without case (Chinese, Arabic ...),
// which the classifier's steps meet in most of the mail they read.
package lcase

import (
	"strings"
	"unicode"
)

// mayLower has a bit set for each rune below 0x10000 that
// unicode.ToLower may change, from unicode.CaseRanges: most runes of
// texts in scripts without case need no table search then.
var mayLower = func() (t [0x10000 / 64]uint64) {
	for _, cr := range unicode.CaseRanges {
		if cr.Delta[unicode.LowerCase] == 0 {
			continue
		}
		for r := cr.Lo; r <= cr.Hi && r < 0x10000; r++ {
			t[r/64] |= 1 << (r % 64)
		}
	}
	return t
}()

// Rune is unicode.ToLower, faster on runes that have no lower case.
func Rune(r rune) rune {
	if r >= 0x80 && r < 0x10000 && mayLower[r/64]&(1<<(r%64)) == 0 {
		return r
	}
	return unicode.ToLower(r)
}

// String is strings.ToLower(s), with Rune for the runes of non-ASCII
// text.
func String(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Map(Rune, s)
		}
	}
	return strings.ToLower(s)
}
