package judge

import "unicode"

// mayLower has a bit set for each rune below 0x10000 that
// unicode.ToLower may change, from unicode.CaseRanges: most runes of
// texts in scripts without case (Chinese, Arabic ...) need no table
// search then.
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

// toLower is unicode.ToLower, faster on runes that have no lower case.
func toLower(r rune) rune {
	if r >= 0x80 && r < 0x10000 && mayLower[r/64]&(1<<(r%64)) == 0 {
		return r
	}
	return unicode.ToLower(r)
}
