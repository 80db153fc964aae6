package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// langSample is how much of the text language detection reads.
const langSample = 4 << 10

// language names the language of the new text: by script first, then, for
// Latin text, by stopwords and letters only some languages use. Words early
// in the text weigh more, so a bilingual auto-reply is read in its first
// language.
func (x *Extractor) language(dc *doc) string {
	from, to := dc.textStart, dc.textEnd
	if to-from < 200 && letterCount(dc.orig[from:to]) < 20 {
		from = 0
	}
	// The first few kilobytes tell the language.
	if to-from > langSample {
		to = from + len(clip(dc.orig[from:], langSample))
	}
	text := dc.orig[from:to]
	var latin, cyr, arab, han, kana, hangul, greek, hebrew, thai, total int
	for _, r := range text {
		if r < 0x80 {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				total++
				latin++
			}
			continue
		}
		if !unicode.IsLetter(r) {
			continue
		}
		total++
		switch {
		case r < 0x250:
			latin++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.Is(unicode.Arabic, r):
			arab++
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.In(r, unicode.Hiragana, unicode.Katakana):
			kana++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.Is(unicode.Greek, r):
			greek++
		case unicode.Is(unicode.Hebrew, r):
			hebrew++
		case unicode.Is(unicode.Thai, r):
			thai++
		default:
			latin++
		}
	}
	if total == 0 {
		return ""
	}
	share := func(n int) bool { return float64(n) >= x.minShare*float64(total) }
	switch {
	case kana > 0 && share(kana+han) && kana*10 >= han:
		return "ja"
	case share(hangul):
		return "ko"
	case share(han + kana):
		return "zh"
	case share(arab):
		return "ar"
	case share(cyr):
		if strings.ContainsAny(text, "іїєґІЇЄҐ") {
			return "uk"
		}
		return "ru"
	case share(greek):
		return "el"
	case share(hebrew):
		return "he"
	case share(thai):
		return "th"
	}
	score := make([]float64, len(x.langs))
	low := dc.low[from:to]
	forWords(low, func(pos int, w string) {
		// From 2 for the first word down to 1 for the last.
		if len(w) > x.maxStop {
			return // no stopword is that long
		}
		wt := 2 - float64(pos)/float64(len(low))
		if bits := x.stop[w]; bits != 0 {
			k := 0
			for b := bits; b != 0; b &= b - 1 {
				k++
			}
			for i := range x.langs {
				if bits&(1<<uint(i)) != 0 {
					score[i] += wt / float64(k)
				}
			}
		}
	})
	for _, r := range low {
		if r < 0x80 || r < 0x10000 && x.letterBit[r/64]&(1<<(r%64)) == 0 {
			continue
		}
		if i, ok := x.letters[r]; ok {
			score[i] += 0.3
		}
	}
	best := -1
	for i := range score {
		if score[i] > 0 && (best < 0 || score[i] > score[best]) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return x.langs[best]
}

func letterCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// forWords calls fn with each word (letters and apostrophes) of s and its
// offset.
func forWords(s string, fn func(int, string)) {
	start := -1
	for i, r := range s {
		if r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '\'') || r >= utf8.RuneSelf && unicode.IsLetter(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			fn(start, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		fn(start, s[start:])
	}
}
