package extract

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tradesift/tradesift/filter/internal/bytetrie"
	"github.com/tradesift/tradesift/filter/internal/lcase"
)

// kind says what a dictionary word stands for.
type kind uint8

const (
	kModel       kind = iota // a model number variant; val is the product index
	kModelList               // a short form that counts only in a list of models
	kWord                    // a product word; val is the product index
	kNotMade                 // a not-made product word; val is the not_made index
	kContext                 // a context word of a product; val is the product index
	kCustom                  // part of a custom cue; val indexes x.cueParts
	kUnit                    // a piece unit
	kSampleUnit              // a unit only for samples ("3 colours")
	kSample                  // a sample word
	kSampleOne               // "a sample"
	kEach                    // "each"
	kNumWord                 // a number written as a word; val is the number
	kNotOrder                // reference / hypothetical / yearly cue
	kPer                     // "per" after a unit
	kContainer               // container word
	kMeaning                 // "what does it mean"
	kIncoterm                // val indexes x.incoterms
	kCurrency                // val indexes x.currencies
	kTarget                  // target price cue
	kPayment                 // val indexes x.payments
	kDeliveryCue             // delivery cue
	kDays                    // day unit
	kWeeks                   // week unit
	kWithin                  // within / by / before
	kMonth                   // val is the month
	kCountry                 // val indexes x.countries
	kCity                    // val indexes x.countries
	kStreet                  // street word
	kPhoneCue                // word before a phone number
	kSuffix                  // legal form after a name; val indexes x.suffixes
	kPrefix                  // legal form before a name; val indexes x.prefixes
	kIntro                   // "we are", "la société"; val indexes x.intro
	nKinds
)

// entry is one word of the dictionary.
type entry struct {
	kind   kind
	val    int
	prefix bool // trailing *: any ending
	plural bool // a trailing "s" is allowed
}

// match is one word found in the text; start and end are byte offsets into
// the lower-cased text, which has the same offsets as the original.
type match struct {
	start, end int
	e          *entry
}

// dict finds many words in one pass over a text (a byte trie of all words,
// walked from each place a word can start). Words whose edge is a letter of
// an alphabetic script must sit on word boundaries there; Chinese, Japanese,
// Korean and Arabic words match anywhere.
type dict struct {
	words   map[string][]entry
	trie    bytetrie.Trie // of keys
	entries [][]entry     // by key index
	keys    []string
}

func newDict() *dict { return &dict{words: map[string][]entry{}} }

// add adds word (any case; "*" at the end for prefix matching) with its entry.
// Spaces and hyphens inside a word also match each other.
func (d *dict) add(word string, e entry) {
	w := lower(strings.TrimSpace(word))
	if strings.HasSuffix(w, "*") {
		e.prefix = true
		w = strings.TrimSpace(strings.TrimSuffix(w, "*"))
	}
	if w == "" {
		return
	}
	vars := []string{w}
	if strings.Contains(w, " ") {
		vars = append(vars, strings.ReplaceAll(w, " ", "-"))
	}
	if strings.Contains(w, "-") && len(w) > 3 {
		vars = append(vars, strings.ReplaceAll(w, "-", " "), strings.ReplaceAll(w, "-", ""))
	}
	for _, v := range vars {
		if strings.Contains(v, "'") {
			v2 := strings.ReplaceAll(v, "'", "\u2019")
			if !hasEntry(d.words[v2], e) {
				d.words[v2] = append(d.words[v2], e)
			}
		}
		if !hasEntry(d.words[v], e) {
			d.words[v] = append(d.words[v], e)
		}
	}
}

func hasEntry(es []entry, e entry) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

// build compiles the trie; add must not be called afterwards.
func (d *dict) build() {
	d.keys = d.keys[:0]
	for k := range d.words {
		d.keys = append(d.keys, k)
	}
	sort.Strings(d.keys)
	d.entries = make([][]entry, len(d.keys))
	for i, k := range d.keys {
		d.entries[i] = d.words[k]
	}
	d.trie = bytetrie.Build(d.keys)
}

// scan appends to ms every word found in the lower-cased text s, ordered by
// start. Words that begin with a letter of an alphabetic script need a word
// boundary before them, so the trie is walked only from word starts and from
// the other characters (punctuation, Chinese, Japanese, Korean, Arabic):
// a few steps per word instead of an automaton step per byte.
func (d *dict) scan(s string, ms []match) []match {
	inWord := false // the previous rune is a letter or digit of a spaced script
	digit := false  // the previous rune is a digit: "500pcs" starts a word at p
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			word := asciiWord[c]
			if !(word && inWord && !(digit && c > '9')) && d.trie.Starts(c) {
				ms = d.walk(s, i, ms)
			}
			inWord = word
			digit = c >= '0' && c <= '9'
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		word := isWordRune(r) && needsBoundary(r)
		if !(word && inWord) && d.trie.Starts(c) {
			ms = d.walk(s, i, ms)
		}
		inWord = word
		digit = false
		i += n
	}
	return ms
}

// asciiWord marks ASCII letters and digits.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return
}()

// walk follows the trie from start and appends the words ending on the way.
func (d *dict) walk(s string, start int, ms []match) []match {
	node := int32(0)
	for j := start; j < len(s); j++ {
		node = d.trie.Child(node, s[j])
		if node < 0 {
			break
		}
		if out := d.trie.Key(node); out >= 0 {
			es := d.entries[out]
			for k := range es {
				e := &es[k]
				if e2, ok := boundaryEnd(s, start, j+1, e); ok {
					ms = append(ms, match{start: start, end: e2, e: e})
				}
			}
		}
	}
	return ms
}

// boundaryEnd checks word boundaries and returns the end of the match
// (a prefix word extends to the end of the word, a plural takes its "s").
func boundaryEnd(s string, start, end int, e *entry) (int, bool) {
	first, _ := utf8.DecodeRuneInString(s[start:])
	last, _ := utf8.DecodeLastRuneInString(s[:end])
	if needsBoundary(first) && start > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:start])
		if isWordRune(r) && needsBoundary(r) && !(unicode.IsDigit(r) && unicode.IsLetter(first) && e.kind == kUnit) {
			return 0, false
		}
	}
	if e.prefix {
		for end < len(s) {
			r, n := utf8.DecodeRuneInString(s[end:])
			if !isWordRune(r) || !needsBoundary(r) {
				break
			}
			end += n
		}
		return end, true
	}
	if !needsBoundary(last) || end >= len(s) {
		return end, true
	}
	r, n := utf8.DecodeRuneInString(s[end:])
	if e.plural && r == 's' {
		r2, _ := utf8.DecodeRuneInString(s[end+n:])
		if end+n >= len(s) || !isWordRune(r2) {
			return end + n, true
		}
	}
	if isWordRune(r) && needsBoundary(r) {
		return 0, false
	}
	if r == '-' && end+1 < len(s) && e.kind != kIncoterm {
		// "Самокат-Опт": a hyphenated compound is another word (but
		// "FOB-Preise" is FOB).
		r2, _ := utf8.DecodeRuneInString(s[end+1:])
		if unicode.IsLetter(r2) && needsBoundary(r2) {
			return 0, false
		}
	}
	return end, true
}

// needsBoundary reports whether words of r's script are separated by spaces
// and so must match whole.
func needsBoundary(r rune) bool {
	if r < runeClassN && r >= 0 {
		return runeClass[r]&classBoundary != 0
	}
	return needsBoundarySlow(r)
}

func needsBoundarySlow(r rune) bool {
	if r < 0x80 {
		return isWordRuneSlow(r)
	}
	return unicode.In(r, unicode.Latin, unicode.Cyrillic, unicode.Greek)
}

func isWordRune(r rune) bool {
	if r < runeClassN && r >= 0 {
		return runeClass[r]&classWord != 0
	}
	return isWordRuneSlow(r)
}

func isWordRuneSlow(r rune) bool {
	if r < 0x80 {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// runeClass caches isWordRune and needsBoundary for the alphabets below
// U+0800 (Latin, Greek, Cyrillic, Hebrew, Arabic ...), which the Unicode
// tables answer slowly and text mostly holds.
const (
	runeClassN    = 0x800
	classWord     = 1
	classBoundary = 2
)

var runeClass = func() (t [runeClassN]uint8) {
	for r := range rune(runeClassN) {
		if isWordRuneSlow(r) {
			t[r] |= classWord
		}
		if needsBoundarySlow(r) {
			t[r] |= classBoundary
		}
	}
	return t
}()

// lower lower-cases s rune by rune, keeping every rune's byte length so that
// offsets into the result are offsets into s. Tabs and carriage returns
// become spaces.
func lower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		// The run of runes that stay as they are, at once.
		j := i
	run:
		for j < len(s) {
			c := s[j]
			if c < utf8.RuneSelf {
				if c >= 'A' && c <= 'Z' || c == '\t' || c == '\r' {
					break
				}
				j++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[j:])
			switch r {
			case '\u00a0', '\u202f', '\u2009':
				break run
			case utf8.RuneError:
			default:
				if l := lcase.Rune(r); l != r && utf8.RuneLen(l) == n {
					break run
				}
			}
			j += n
		}
		b.WriteString(s[i:j])
		if i = j; i >= len(s) {
			break
		}
		// One rune that changes.
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			case c == '\t' || c == '\r':
				c = ' '
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch r {
		case '\u00a0', '\u202f', '\u2009': // no-break and thin spaces
			for k := 0; k < n; k++ {
				b.WriteByte(' ')
			}
			continue
		}
		l := lcase.Rune(r)
		if r == utf8.RuneError || utf8.RuneLen(l) != n {
			b.WriteString(s[i-n : i])
			continue
		}
		b.WriteRune(l)
	}
	return b.String()
}
