package sender

import (
	"bufio"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"
)

// domain is a domain name split for comparison.
type domain struct {
	ascii  string // lower case, punycode (xn--) for IDN labels
	reg    string // registrable domain, ASCII: label + "." + suffix
	label  string // registrable label in Unicode ("scootworld", "еverride-scooter")
	suffix string // public suffix, ASCII ("de", "co.uk")
}

// parseDomain normalises d (either form, Unicode or xn--) and finds its
// registrable label with the Public Suffix List. ok is false for names
// that have no registrable label (a bare public suffix, garbage).
func parseDomain(d string) (domain, bool) {
	d = strings.ToLower(strings.Trim(strings.TrimSpace(d), ".[]"))
	if d == "" {
		return domain{}, false
	}
	ascii, err := idna.Lookup.ToASCII(d)
	if err != nil {
		// Lookup rejects some look-alike tricks (mixed scripts are fine,
		// but e.g. disallowed symbols are not); Punycode is lenient.
		ascii, err = idna.Punycode.ToASCII(d)
		if err != nil {
			return domain{}, false
		}
	}
	ascii = strings.ToLower(ascii)
	reg, err := publicsuffix.EffectiveTLDPlusOne(ascii)
	if err != nil {
		return domain{}, false
	}
	labelASCII, suffix, _ := strings.Cut(reg, ".")
	label, err := idna.Punycode.ToUnicode(labelASCII)
	if err != nil {
		label = labelASCII
	}
	return domain{ascii: ascii, reg: reg, label: label, suffix: suffix}, true
}

// LookAlike reports whether candidate looks like target without being it
// or one of its subdomains: the registrable labels are the same once
// homoglyphs (Cyrillic "е" for "e", "0" for "o", "rn" for "m"), accents and
// hyphens are set aside, under another or the same public suffix (TLD
// swap), or they are within a small edit distance (two for labels of eight
// characters or more, one from five, none below: short names collide by
// chance). Both names may be in Unicode or xn-- form.
func LookAlike(candidate, target string) bool {
	c, ok1 := parseLabel(candidate)
	t, ok2 := parseLabel(target)
	return ok1 && ok2 && c.lookAlike(&t)
}

// label is a parsed domain with the skeleton of its registrable label,
// what LookAlike compares. Analyze parses each of a message's domains and
// each of the supplier's once, not once per pair.
type label struct {
	domain
	skel    string
	dotted  string // "." + ascii, for the subdomain test
	maxDist int    // edit distance tolerated when this is the target
}

func parseLabel(d string) (label, bool) {
	p, ok := parseDomain(d)
	if !ok {
		return label{}, false
	}
	l := label{domain: p, skel: skeleton(p.label), dotted: "." + p.ascii}
	n := utf8.RuneCountInString(l.skel)
	switch {
	case n >= 8:
		l.maxDist = 2
	case n >= 5:
		l.maxDist = 1
	}
	return l, true
}

// lookAlike is LookAlike(c, t) on parsed names.
func (c *label) lookAlike(t *label) bool {
	if c.ascii == t.ascii || strings.HasSuffix(c.ascii, t.dotted) || c.reg == t.reg {
		return false
	}
	cs, ts := c.skel, t.skel
	if cs == "" || ts == "" {
		return false
	}
	if cs == ts {
		return true
	}
	return t.maxDist > 0 && editDistance(cs, ts, t.maxDist) <= t.maxDist
}

// skeleton maps a label to what a reader sees: accents dropped, confusable
// characters replaced by the Latin letter they imitate, hyphens and dots
// removed.
func skeleton(label string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(label) {
		if unicode.Is(unicode.Mn, r) || r == '-' || r == '.' || r == '_' {
			continue
		}
		if rep, ok := confusables.single[r]; ok {
			b.WriteString(rep)
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	s := b.String()
	for _, p := range confusables.multi {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return s
}

// editDistance is the optimal string alignment distance (Levenshtein plus
// transposition of two neighbours) between a and b, in runes; it stops
// counting past max.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// confusableTable is the parsed data/confusables.txt.
type confusableTable struct {
	single map[rune]string
	multi  [][2]string
}

var confusables = parseConfusables(confusablesData)

func parseConfusables(data string) confusableTable {
	t := confusableTable{single: map[rune]string{}}
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		from, to, ok := strings.Cut(line, "\t")
		if !ok {
			panic("sender: bad line in confusables.txt: " + line)
		}
		if utf8.RuneCountInString(from) == 1 {
			r, _ := utf8.DecodeRuneInString(from)
			t.single[r] = to
		} else {
			t.multi = append(t.multi, [2]string{from, to})
		}
	}
	return t
}
