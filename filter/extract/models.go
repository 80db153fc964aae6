package extract

import (
	"strings"
	"unicode"

	"github.com/tradesift/tradesift/filter/config"
)

type variant struct {
	text     string
	listOnly bool
}

// commonPrefix returns the series prefix most models share ("ER"), so that
// "K200" alone names "ER-K200".
func commonPrefix(ps []config.Product) string {
	count := map[string]int{}
	for _, p := range ps {
		if i := strings.IndexAny(p.Model, "- "); i > 0 {
			count[strings.ToLower(p.Model[:i])]++
		}
	}
	best, n := "", 1
	for k, c := range count {
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best
}

// modelVariants spells a model number the loose ways buyers write it:
// "ER-K200" gives er-k200, er k200, erk200, er-k-200, k200, k-200; "ER-K3 Mini"
// also k3 and k3mini. A short form without digits ("Snow", "X Pro", "parts")
// is marked list-only.
func modelVariants(model, prefix string) []variant {
	m := strings.ToLower(strings.TrimSpace(model))
	rest, hasPrefix := m, false
	if prefix != "" && strings.HasPrefix(m, prefix) && len(m) > len(prefix) && strings.ContainsRune("- _", rune(m[len(prefix)])) {
		rest = strings.TrimSpace(m[len(prefix)+1:])
		hasPrefix = true
	}
	words := strings.Fields(rest)
	if len(words) == 0 {
		return nil
	}
	core, tail := words[0], strings.Join(words[1:], " ")
	cores := []string{core}
	if split := splitAlnum(core); split != core {
		cores = append(cores, split)
	}
	digits := strings.IndexFunc(rest, unicode.IsDigit) >= 0
	tails := []string{""}
	if tail != "" {
		tails = []string{" " + tail, tail}
	}
	tailOptional := tail == "" || strings.IndexFunc(core, unicode.IsDigit) >= 0
	var out []variant
	seen := map[string]bool{}
	addV := func(t string, list bool) {
		if !seen[t] {
			seen[t] = true
			out = append(out, variant{t, list})
		}
	}
	for _, c := range cores {
		ts := tails
		if tail != "" && (tailOptional || hasPrefix) {
			ts = append(ts, "")
		}
		for _, t := range ts {
			if hasPrefix {
				for _, sep := range []string{"-", " ", "", "_"} {
					addV(prefix+sep+c+t, false)
				}
			}
			if t == "" && !tailOptional {
				continue
			}
			addV(c+t, !digits)
		}
	}
	return out
}

// splitAlnum puts a hyphen between letters and digits: "k200" -> "k-200".
func splitAlnum(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 {
			p := rune(s[i-1])
			if unicode.IsLetter(p) && unicode.IsDigit(r) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mention is a catalog product named in the text.
type mention struct {
	p          int // product index
	start, end int
	line       int
	word       bool // a product word, not a model number
}

type modelInfo struct {
	order     []int     // accepted products in order of first mention
	mentions  []mention // accepted mentions
	anyNumber bool      // the text names some model number
	notMade   []mention // not-made words (p indexes x.notMade)
}

func (mi *modelInfo) has(p int) bool {
	for _, q := range mi.order {
		if q == p {
			return true
		}
	}
	return false
}

// models finds the catalog models and the products we do not make.
func (x *Extractor) models(dc *doc, f *Fields) *modelInfo {
	mi := &modelInfo{}
	// Candidates, without words inside longer words ("kids kick scooter"
	// hides "kick scooter").
	var cand []int
	for i := range dc.ms {
		switch dc.ms[i].e.kind {
		case kModel, kModelList, kWord, kNotMade:
			cand = append(cand, i)
		}
	}
	if len(cand) > maxItems {
		cand = cand[:maxItems]
	}
	keep := make([]bool, len(cand))
	for a, i := range cand {
		keep[a] = true
		mi_ := dc.ms[i]
		for _, j := range cand {
			o := dc.ms[j]
			if j != i && o.start <= mi_.start && o.end >= mi_.end && o.end-o.start > mi_.end-mi_.start {
				keep[a] = false
				break
			}
		}
	}
	var nums, lists, words, notMade []*match
	for a, i := range cand {
		if !keep[a] {
			continue
		}
		m := &dc.ms[i]
		switch m.e.kind {
		case kModel:
			nums = append(nums, m)
		case kModelList:
			lists = append(lists, m)
		case kWord:
			words = append(words, m)
		case kNotMade:
			notMade = append(notMade, m)
		}
	}
	// Short plain-word forms, and product words, count in a list next to
	// a model number ("K200, K3 Mini, X Pro, E8 and Snow scooter").
	for _, w := range words {
		if !x.hasContext[w.e.val] {
			lists = append(lists, w)
		}
	}
	accepted := append([]*match(nil), nums...)
	for round := 0; round < 4; round++ {
		grew := false
		for k, l := range lists {
			if l == nil {
				continue
			}
			for _, a := range accepted {
				if gap(a, l) <= 40 && x.listJoined(dc, a, l) {
					accepted = append(accepted, l)
					lists[k] = nil
					grew = true
					break
				}
			}
		}
		if !grew {
			break
		}
	}
	mi.anyNumber = false
	for _, a := range accepted {
		if a.e.kind != kWord {
			mi.anyNumber = true
		}
	}
	// Part words near a context word.
	var partWords []*match
	for _, w := range words {
		if !x.hasContext[w.e.val] {
			continue
		}
		for _, ci := range dc.byKind[kContext] {
			c := &dc.ms[ci]
			if c.e.val == w.e.val && gap(c, w) <= 300 {
				partWords = append(partWords, w)
				break
			}
		}
	}
	var all []mention
	for _, a := range accepted {
		if a.e.kind != kWord && x.qualifiesPart(dc, a, words) {
			continue
		}
		all = append(all, mention{p: a.e.val, start: a.start, end: a.end, word: a.e.kind == kWord})
	}
	for _, w := range partWords {
		all = append(all, mention{p: w.e.val, start: w.start, end: w.end, word: true})
	}
	if !mi.anyNumber {
		for _, w := range words {
			if !x.hasContext[w.e.val] && !afterContext(dc, w) {
				all = append(all, mention{p: w.e.val, start: w.start, end: w.end, word: true})
			}
		}
	}
	sortMentions(all)
	for i := range all {
		all[i].line = dc.line(all[i].start)
	}
	mi.mentions = all
	for _, m := range all {
		if !mi.has(m.p) {
			mi.order = append(mi.order, m.p)
		}
	}
	for _, p := range mi.order {
		f.Models = append(f.Models, x.products[p].Model)
	}
	// Products we do not make: asked for when no model number is named, or
	// with a quantity right before them.
	seen := map[int]bool{}
	for _, n := range notMade {
		if !mi.anyNumber || numberBefore(dc.low, n.start) {
			mi.notMade = append(mi.notMade, mention{p: n.e.val, start: n.start, end: n.end})
			if !seen[n.e.val] {
				seen[n.e.val] = true
				f.OtherProducts = append(f.OtherProducts, x.notMade[n.e.val])
			}
		}
	}
	return mi
}

// qualifiesPart reports whether model mention a only says which model a
// spare part fits: "front wheel (K3 Mini)", "K3 Mini spares".
func (x *Extractor) qualifiesPart(dc *doc, a *match, words []*match) bool {
	s := dc.low
	// After: "K3 Mini spares", "K3 Mini wheels".
	j := a.end
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if c := dc.at(j, kContext); c != nil {
		return true
	}
	for _, w := range words {
		if x.hasContext[w.e.val] && w.start == j {
			return true
		}
	}
	// Before: "wheel (K3 Mini)", "brake assembly (K3 Mini)", "grips for K3".
	for _, w := range words {
		if !x.hasContext[w.e.val] || w.end > a.start || a.start-w.end > 24 {
			continue
		}
		between := s[w.end:a.start]
		if strings.ContainsAny(between, ",.;:\n") {
			continue
		}
		if len(strings.Fields(strings.ReplaceAll(between, "(", " "))) <= 1 {
			return true
		}
	}
	return false
}

func gap(a, b *match) int {
	if a.end <= b.start {
		return b.start - a.end
	}
	if b.end <= a.start {
		return a.start - b.end
	}
	return 0
}

func sortMentions(ms []mention) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].start < ms[j-1].start; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// numberBefore reports whether a number ends within a few bytes before pos.
func numberBefore(s string, pos int) bool {
	j := pos
	for j > 0 && pos-j < 4 && s[j-1] == ' ' {
		j--
	}
	return j > 0 && s[j-1] >= '0' && s[j-1] <= '9'
}

// afterContext reports a product word that only says what spare parts are
// for ("запчастей для самокатов", "spare parts for scooters").
func afterContext(dc *doc, w *match) bool {
	for _, i := range dc.byKind[kContext] {
		c := &dc.ms[i]
		if c.end <= w.start && w.start-c.end <= 16 && !strings.ContainsAny(dc.low[c.end:w.start], ".,;:\n") {
			return true
		}
	}
	return false
}

// listJoined reports that two mentions are items of one list: a comma, a
// slash or a word like "and" stands between them.
func (x *Extractor) listJoined(dc *doc, a, b *match) bool {
	lo, hi := a.end, b.start
	if b.end <= a.start {
		lo, hi = b.end, a.start
	}
	if lo >= hi {
		return true
	}
	between := dc.low[lo:hi]
	if strings.ContainsAny(between, ",/&+、，") {
		return true
	}
	for _, w := range strings.Fields(between) {
		if x.joiners[w] {
			return true
		}
	}
	return false
}
