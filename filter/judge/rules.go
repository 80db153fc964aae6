package judge

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"

	"github.com/tradesift/tradesift/filter/internal/bytetrie"
	"github.com/tradesift/tradesift/filter/internal/lcase"
)

// embeddedRules are the default cue vocabularies, weights and thresholds.
//
//go:embed rules.toml
var embeddedRules []byte

// Rules is the data the judgement runs on: thresholds, weights and cue
// vocabularies (see rules.toml for what each part means).
type Rules struct {
	Threshold Thresholds         `toml:"threshold"`
	Fields    map[string]float64 `toml:"fields"`
	Sender    SenderWeights      `toml:"sender"`
	Header    []HeaderRule       `toml:"header"`
	Thread    ThreadRules        `toml:"thread"`
	Cue       []CueGroup         `toml:"cue"`
}

// Thresholds are the decision limits.
type Thresholds struct {
	None           float64 `toml:"none"`
	Inquiry        float64 `toml:"inquiry"`
	Copycat        float64 `toml:"copycat"`
	CopycatWeak    float64 `toml:"copycat_weak"`
	Competitor     float64 `toml:"competitor"`
	CompetitorText float64 `toml:"competitor_text"`
	HorizonDays    int     `toml:"horizon_days"`
	OrderQuantity  int     `toml:"order_quantity"`
}

// SenderWeights weigh sender signals toward a competitor probe.
type SenderWeights struct {
	Weights map[string]float64 `toml:"-"`
	// ChineseScriptCountries are where Chinese clients, charsets and +0800
	// are local and weigh nothing.
	ChineseScriptCountries []string `toml:"chinese_script_countries"`
}

// HeaderRule is header evidence that a message is no inquiry.
type HeaderRule struct {
	Name   string   `toml:"name"`
	Field  string   `toml:"field"`
	Values []string `toml:"values"`
	Except []string `toml:"except"`
	Weight float64  `toml:"weight"`
}

// ThreadRules recognise a reply in a running thread.
type ThreadRules struct {
	ReplyPrefixes []string `toml:"reply_prefixes"`
}

// CueGroup is a named group of words with the scores it adds.
type CueGroup struct {
	Name     string             `toml:"name"`
	Score    map[string]float64 `toml:"score"`
	Plan     string             `toml:"plan"`
	Product  bool               `toml:"product"`
	Requires string             `toml:"requires"`
	Words    []string           `toml:"words"`

	// wholeWords: a word without a trailing "*" must end a word (the
	// supplier section's word syntax); rules-file words are stems.
	wholeWords bool
}

// Score keys besides the buyer types.
const (
	keyCopycat    = "copycat"
	keyCompetitor = "competitor"
	keyNone       = "none"
)

var scoreKeys = map[string]bool{
	Sourcing: true, MarketEntry: true, InfoGathering: true, SampleSeeking: true,
	keyCopycat: true, keyCompetitor: true, keyNone: true,
}

// LoadRules reads a rules file; "" gives the embedded rules.
func LoadRules(path string) (*Rules, error) {
	if path == "" {
		return parseRules("rules.toml (embedded)", embeddedRules)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseRules(path, data)
}

func parseRules(name string, data []byte) (*Rules, error) {
	var r Rules
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	// [sender] holds name = weight pairs plus one list; it is split below.
	type plain struct {
		Threshold Thresholds         `toml:"threshold"`
		Fields    map[string]float64 `toml:"fields"`
		Sender    map[string]any     `toml:"sender"`
		Header    []HeaderRule       `toml:"header"`
		Thread    ThreadRules        `toml:"thread"`
		Cue       []CueGroup         `toml:"cue"`
	}
	var p plain
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r.Threshold, r.Fields, r.Header, r.Thread, r.Cue = p.Threshold, p.Fields, p.Header, p.Thread, p.Cue
	r.Sender.Weights = map[string]float64{}
	for k, v := range p.Sender {
		switch x := v.(type) {
		case float64:
			r.Sender.Weights[k] = x
		case int64:
			r.Sender.Weights[k] = float64(x)
		case []any:
			if k != "chinese_script_countries" {
				return nil, fmt.Errorf("%s: sender.%s: want a weight", name, k)
			}
			for _, c := range x {
				s, ok := c.(string)
				if !ok {
					return nil, fmt.Errorf("%s: sender.%s: want country codes", name, k)
				}
				r.Sender.ChineseScriptCountries = append(r.Sender.ChineseScriptCountries, strings.ToUpper(s))
			}
		default:
			return nil, fmt.Errorf("%s: sender.%s: want a number", name, k)
		}
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &r, nil
}

func (r *Rules) check() error {
	names := map[string]bool{}
	for i, c := range r.Cue {
		if c.Name == "" || !validSignal(c.Name) {
			return fmt.Errorf("cue %d: name %q must be lower-case ASCII words joined by '-'", i, c.Name)
		}
		names[c.Name] = true
		for k := range c.Score {
			if !scoreKeys[k] {
				return fmt.Errorf("cue %s: unknown score key %q", c.Name, k)
			}
		}
		switch c.Plan {
		case "", PlanNotUrgent, PlanNeedTime:
		default:
			return fmt.Errorf("cue %s: plan must be %q or %q", c.Name, PlanNotUrgent, PlanNeedTime)
		}
		if len(c.Words) == 0 {
			return fmt.Errorf("cue %s: no words", c.Name)
		}
	}
	for _, c := range r.Cue {
		if c.Requires == "" {
			continue
		}
		for _, req := range strings.Split(c.Requires, "|") {
			if !names[req] {
				return fmt.Errorf("cue %s: requires unknown cue %q", c.Name, req)
			}
		}
	}
	for i, h := range r.Header {
		if !validSignal(h.Name) || h.Field == "" {
			return fmt.Errorf("header %d: needs a signal name and a field", i)
		}
	}
	if r.Threshold.None <= 0 || r.Threshold.Inquiry <= 0 || r.Threshold.Copycat <= 0 || r.Threshold.Competitor <= 0 {
		return fmt.Errorf("threshold: none, inquiry, copycat and competitor must be positive")
	}
	return nil
}

func validSignal(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// matcher finds cue words in normalised text.
type matcher struct {
	word     string
	boundary bool // must start a word
	endBound bool // must end a word
	// and lists further words that must all occur too ("logo* && stem*").
	and []matcher
}

type compiledCue struct {
	CueGroup
	requires []int // indexes of groups one of which must fire too
}

// compile turns the cue groups into matchers.
func compileCues(groups []CueGroup) ([]compiledCue, [][]matcher) {
	idx := map[string]int{}
	for i, g := range groups {
		if _, ok := idx[g.Name]; !ok {
			idx[g.Name] = i
		}
	}
	cues := make([]compiledCue, len(groups))
	ms := make([][]matcher, len(groups))
	for i, g := range groups {
		cues[i] = compiledCue{CueGroup: g}
		if g.Requires != "" {
			for _, r := range strings.Split(g.Requires, "|") {
				cues[i].requires = append(cues[i].requires, idx[r])
			}
		}
		seen := map[string]bool{}
		for _, w := range g.Words {
			if seen[w] {
				continue
			}
			seen[w] = true
			var parts []matcher
			for _, p := range strings.Split(w, "&&") {
				if m, ok := compileWord(p, g.wholeWords); ok {
					parts = append(parts, m)
				}
			}
			if len(parts) == 0 {
				continue
			}
			m := parts[0]
			m.and = parts[1:]
			ms[i] = append(ms[i], m)
		}
	}
	return cues, ms
}

// compileWord reads one cue word: a trailing "*" makes it a stem, a
// trailing "=" a whole word; otherwise whole says which.
func compileWord(w string, whole bool) (matcher, bool) {
	w = strings.TrimSpace(w)
	end := whole
	switch {
	case strings.HasSuffix(w, "*"):
		end, w = false, strings.TrimSuffix(w, "*")
	case strings.HasSuffix(w, "="):
		end, w = true, strings.TrimSuffix(w, "=")
	}
	w = strings.TrimSpace(normalize(w))
	if w == "" {
		return matcher{}, false
	}
	r, _ := utf8.DecodeRuneInString(w)
	last, _ := utf8.DecodeLastRuneInString(w)
	return matcher{word: w, boundary: needsBoundary(r), endBound: end && needsBoundary(last)}, true
}

// needsBoundary: scripts written with spaces between words.
func needsBoundary(r rune) bool {
	return unicode.Is(unicode.Latin, r) || unicode.Is(unicode.Cyrillic, r) || unicode.Is(unicode.Greek, r) || unicode.IsDigit(r)
}

func isWordRune(r rune) bool {
	if r >= 0 && r < wordRunesN {
		return wordRunes[r]
	}
	return isWordRuneSlow(r)
}

func isWordRuneSlow(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// wordRunes caches isWordRune for the alphabets below U+0800, which the
// Unicode tables answer slowly.
const wordRunesN = 0x800

var wordRunes = func() (t [wordRunesN]bool) {
	for r := range rune(wordRunesN) {
		t[r] = isWordRuneSlow(r)
	}
	return t
}()

// cueIndex finds all cue groups in a text in one pass: words that must
// start a word are looked up in a byte trie walked from each word start
// (one step per byte of the longest cue word that begins there, however
// many cue words share a prefix), the others (CJK, Arabic ...) by their
// first rune at every position.
type cueIndex struct {
	bnd  trie
	free map[rune][]indexed
	// freeBit has a bit set for each rune below 0x10000 that starts a
	// free word, so most runes need no map lookup.
	freeBit [0x10000 / 64]uint64
}

type indexed struct {
	m     *matcher
	group int
}

// trie is a byte trie of cue words with, for each word, its matchers.
type trie struct {
	bytetrie.Trie
	outs [][]indexed // by key index: the matchers of the word
}

// buildTrie makes the trie of the words of the given matchers.
func buildTrie(words []indexed) trie {
	byWord := map[string][]indexed{} // in the order given
	for _, w := range words {
		byWord[w.m.word] = append(byWord[w.m.word], w)
	}
	keys := make([]string, 0, len(byWord))
	for w := range byWord {
		keys = append(keys, w)
	}
	sort.Strings(keys)
	t := trie{Trie: bytetrie.Build(keys), outs: make([][]indexed, len(keys))}
	for i, w := range keys {
		t.outs[i] = byWord[w]
	}
	return t
}

func buildIndex(ms [][]matcher) *cueIndex {
	ix := &cueIndex{free: map[rune][]indexed{}}
	var bnd []indexed
	for g := range ms {
		for k := range ms[g] {
			m := &ms[g][k]
			r, _ := utf8.DecodeRuneInString(m.word)
			if m.boundary {
				bnd = append(bnd, indexed{m, g})
			} else {
				ix.free[r] = append(ix.free[r], indexed{m, g})
				if r < 0x10000 {
					ix.freeBit[r/64] |= 1 << (r % 64)
				}
			}
		}
	}
	ix.bnd = buildTrie(bnd)
	return ix
}

// scan marks in fired the groups with a word in text.
func (ix *cueIndex) scan(text string, fired []bool) {
	prevWord := false
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if !prevWord && ix.bnd.Starts(c) {
				ix.walk(text, i, fired)
			}
			if ix.freeBit[c/64]&(1<<(c%64)) != 0 {
				if c, ok := ix.free[rune(c)]; ok {
					ix.try(text, i, c, fired)
				}
			}
			prevWord = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
			i++
			continue
		}
		r, sz := utf8.DecodeRuneInString(text[i:])
		if !prevWord && ix.bnd.Starts(c) {
			ix.walk(text, i, fired)
		}
		if r >= 0x10000 || ix.freeBit[r/64]&(1<<(r%64)) != 0 {
			if c, ok := ix.free[r]; ok {
				ix.try(text, i, c, fired)
			}
		}
		prevWord = isWordRune(r)
		i += sz
	}
}

// walk follows the trie from i and tries the words ending on the way:
// every boundary word that text[i:] starts with.
func (ix *cueIndex) walk(text string, i int, fired []bool) {
	t := &ix.bnd
	n := int32(0)
	for j := i; j < len(text); j++ {
		if n = t.Child(n, text[j]); n < 0 {
			return
		}
		if out := t.Key(n); out >= 0 {
			ix.try(text, i, t.outs[out], fired)
		}
	}
}

func (ix *cueIndex) try(text string, i int, cands []indexed, fired []bool) {
	for _, c := range cands {
		if fired[c.group] || !strings.HasPrefix(text[i:], c.m.word) {
			continue
		}
		if c.m.endBound && !endOK(text, i+len(c.m.word)) {
			continue
		}
		ok := true
		for k := range c.m.and {
			if !c.m.and[k].find1(text) {
				ok = false
				break
			}
		}
		if ok {
			fired[c.group] = true
		}
	}
}

// endOK: position j ends a word ("next year's" continues it).
func endOK(text string, j int) bool {
	if j >= len(text) {
		return true
	}
	r, sz := utf8.DecodeRuneInString(text[j:])
	if r == '\'' && j+sz < len(text) {
		r, _ = utf8.DecodeRuneInString(text[j+sz:])
	}
	return !isWordRune(r)
}

// find reports whether m (and every word joined to it) occurs in text.
func (m *matcher) find(text string) bool {
	if !m.find1(text) {
		return false
	}
	for i := range m.and {
		if !m.and[i].find1(text) {
			return false
		}
	}
	return true
}

func (m *matcher) find1(text string) bool {
	off := 0
	for {
		i := strings.Index(text[off:], m.word)
		if i < 0 {
			return false
		}
		i += off
		ok := true
		if m.boundary && i > 0 {
			r, _ := utf8.DecodeLastRuneInString(text[:i])
			ok = !isWordRune(r)
		}
		if ok && m.endBound {
			ok = endOK(text, i+len(m.word))
		}
		if ok {
			return true
		}
		_, sz := utf8.DecodeRuneInString(text[i:])
		off = i + sz
	}
}

// fold maps accented Latin letters and a few look-alikes to plain ones.
var fold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ą': "a", 'ă': "a",
	'ç': "c", 'ć': "c", 'č': "c",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ę': "e", 'ě': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ı': "i",
	'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ů': "u",
	'ý': "y", 'ÿ': "y", 'ß': "ss", 'ğ': "g", 'ş': "s", 'ș': "s", 'ț': "t", 'ł': "l",
	'ś': "s", 'š': "s", 'ź': "z", 'ż': "z", 'ž': "z", 'ř': "r", 'đ': "d",
	'ё': "е", 'œ': "oe", 'æ': "ae",
	'’': "'", '‘': "'", '`': "'", '´': "'", '“': "\"", '”': "\"", '«': "\"", '»': "\"",
	'–': "-", '—': "-", '‐': "-", '‑': "-",
	'\u00a0': " ", '\u3000': " ",
	'：': ":", '，': ",", '（': "(", '）': ")",
	'ـ': "", // Arabic tatweel
	'أ': "ا", 'إ': "ا", 'آ': "ا", 'ى': "ي",
}

// foldLatin is fold for the first runes, as a table.
var foldLatin [0x250]string

func init() {
	for r, f := range fold {
		if r < rune(len(foldLatin)) {
			foldLatin[r] = f
		}
	}
	// An entry mapping to "" (tatweel) is above the table.
}

// normKept has a bit set for each non-ASCII rune below 0x10000 that
// normalize writes as it is: no lower case, no white space, no combining
// mark, no digit to convert, nothing to fold. Built on first use.
var normKept = sync.OnceValue(func() *[0x10000 / 64]uint64 {
	t := new([0x10000 / 64]uint64)
	for r := rune(0x80); r < 0x10000; r++ {
		if r == 'İ' || r == utf8.RuneError || lcase.Rune(r) != r || unicode.IsSpace(r) ||
			r >= 0x300 && unicode.Is(unicode.Mn, r) ||
			r >= '٠' && r <= '٩' || r >= '۰' && r <= '۹' || r >= '０' && r <= '９' {
			continue
		}
		// fold, not foldLatin: this may run before init fills foldLatin
		// (rules are compiled while package variables are set).
		if _, ok := fold[r]; ok && (r < 0x4E00 || r >= 0xF900) {
			continue
		}
		t[r/64] |= 1 << (r % 64)
	}
	return t
})

// normalize lower-cases parts joined by newlines, folds accents and
// collapses white space. Each part is read on its own (no joined copy):
// the newline between them is white space, and a rune cut at the end of
// a part decodes the same either way.
func normalize(parts ...string) string {
	var b strings.Builder
	n := len(parts)
	for _, s := range parts {
		n += len(s)
	}
	b.Grow(n)
	space := true
	keep := normKept()
	for pi, s := range parts {
		if pi > 0 && !space {
			b.WriteByte(' ') // the joining newline
			space = true
		}
		normalizeInto(&b, s, &space, keep)
	}
	return strings.TrimRight(b.String(), " ")
}

// normalizeInto writes s normalised to b; *space says the last thing
// written was a blank (or nothing).
func normalizeInto(b *strings.Builder, s string, spacep *bool, keep *[0x10000 / 64]uint64) {
	space := *spacep
	defer func() { *spacep = space }()
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			// ASCII: what the general case below does, without the
			// Unicode tables.
			i++
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
				if !space {
					b.WriteByte(' ')
					space = true
				}
				continue
			}
			if f := foldLatin[c]; f != "" {
				if f == " " {
					if !space {
						b.WriteByte(' ')
						space = true
					}
					continue
				}
				b.WriteString(f)
			} else {
				b.WriteByte(c)
			}
			space = false
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x10000 && keep[r/64]&(1<<(r%64)) != 0 {
			// A run of runes written as they are (Chinese text ...).
			j := i + n
			for j < len(s) && s[j] >= utf8.RuneSelf {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if r2 >= 0x10000 || keep[r2/64]&(1<<(r2%64)) == 0 {
					break
				}
				j += n2
			}
			b.WriteString(s[i:j])
			i = j
			space = false
			continue
		}
		i += n
		if r == 'İ' {
			r = 'i'
		}
		r = lcase.Rune(r)
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		if r >= 0x300 && unicode.Is(unicode.Mn, r) { // combining marks (dot of i̇, harakat)
			continue
		}
		if r >= '٠' && r <= '٩' { // Arabic-Indic digits
			r = '0' + (r - '٠')
		} else if r >= '۰' && r <= '۹' { // Extended (Persian) digits
			r = '0' + (r - '۰')
		} else if r >= '０' && r <= '９' { // full-width digits
			r = '0' + (r - '０')
		}
		var f string
		var ok bool
		if r < rune(len(foldLatin)) {
			f = foldLatin[r]
			ok = f != ""
		} else if r < 0x4E00 || r >= 0xF900 {
			f, ok = fold[r]
		}
		if ok {
			if f == " " {
				if !space {
					b.WriteByte(' ')
					space = true
				}
				continue
			}
			b.WriteString(f)
		} else {
			b.WriteRune(r)
		}
		space = false
	}
}
