package extract

import (
	"strings"
)

// country weighs the evidence for the buyer's country: country names and
// big cities in the text (more in an address or signature line), calling
// codes, US/Canadian/Australian state-and-postcode pairs, and the country
// code domain of the sender's company (never a free-mail domain). Names of
// the supplier's own country are ignored: buyers write about it all the
// time. The language decides only when nothing else does.
func (x *Extractor) country(dc *doc, f *Fields) {
	score := map[string]int{}
	first := map[string]int{}
	add := func(c string, w, pos int) {
		if c == "" {
			return
		}
		if _, ok := first[c]; !ok || pos < first[c] {
			first[c] = pos
		}
		score[c] += w
	}
	s := dc.orig
	nLines := len(dc.lineStarts)
	for _, k := range []kind{kCountry, kCity} {
		for _, i := range dc.byKind[k] {
			m := &dc.ms[i]
			if m.start < dc.textStart {
				continue
			}
			c := x.countries[m.e.val]
			if c == x.home {
				continue
			}
			w := 3
			if k == kCity {
				w = 2
			}
			if dc.line(m.start) >= nLines-8 || m.start >= dc.sigFrom || addressLine(dc, m.start) {
				w += 2
			}
			add(c, w, m.start)
		}
	}
	// Calling codes.
	seen := map[string]bool{}
	for i := dc.textStart; i < len(s); i++ {
		if s[i] != '+' || i+1 >= len(s) || !(isDigit(s[i+1]) || s[i+1] == ' ' && i+2 < len(s) && isDigit(s[i+2])) {
			continue
		}
		if i > 0 && isDigit(s[i-1]) {
			continue
		}
		j := i + 1
		for j < len(s) && (isDigit(s[j]) || s[j] == ' ' || s[j] == '-' || s[j] == '(' || s[j] == ')') && j-i < 24 {
			j++
		}
		p := s[i:j]
		if strings.Count(p, "") < 8 || seen[p] {
			continue
		}
		seen[p] = true
		add(x.callingCountry(p), 3, i)
	}
	// "OR 97209", "BC V5V 3E1", "NSW 2204".
	x.postalCodes(dc, add)
	// Country code domains.
	if d := dc.m.From.Domain(); d != "" && !x.isFreeMail(d) {
		add(x.tldCountry(d), 2, len(s))
	}
	if f.Website != "" {
		add(x.tldCountry(siteDomain(f.Website)), 2, len(s))
	}
	if len(score) == 0 {
		if c := x.langCountry[f.Language]; c != "" {
			f.Country = c
		}
		return
	}
	best := ""
	for c, v := range score {
		if best == "" || v > score[best] || v == score[best] && (first[c] < first[best] || first[c] == first[best] && c < best) {
			best = c
		}
	}
	f.Country = best
}

// addressLine reports a line with a figure or a comma, as addresses have.
func addressLine(dc *doc, pos int) bool {
	l := dc.line(pos)
	ls := dc.lineStarts[l]
	le := len(dc.orig)
	if l+1 < len(dc.lineStarts) {
		le = dc.lineStarts[l+1]
	}
	line := dc.orig[ls:le]
	return strings.ContainsAny(line, "0123456789,،") && len(line) < 200
}

func (x *Extractor) postalCodes(dc *doc, add func(string, int, int)) {
	s := dc.orig
	for i := dc.textStart; i+4 < len(s); i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z') || i > 0 && isWordRune(rune(s[i-1])) {
			continue
		}
		j := i
		for j < len(s) && s[j] >= 'A' && s[j] <= 'Z' {
			j++
		}
		code := s[i:j]
		if len(code) == 2 && x.postal[code] == "US" && !usStateCountryClash[code] && stateAfterPlace(s, i, j) {
			add("US", 2, i)
			i = j
			continue
		}
		if len(code) < 2 || len(code) > 3 || j >= len(s) || s[j] != ' ' {
			continue
		}
		k := j + 1
		d := 0
		for k+d < len(s) && isDigit(s[k+d]) {
			d++
		}
		after := k + d
		endOK := after >= len(s) || !isWordRune(rune(s[after]))
		switch {
		case d == 5 && endOK && x.postal[code] == "US":
			add("US", 3, i)
		case d == 4 && endOK && x.postalAU[code]:
			add("AU", 3, i)
		case d == 0 && x.postal[code] != "" && k+7 <= len(s) && isCAPostcode(s[k:k+7]):
			add("CA", 3, i)
		}
		i = j
	}
}

// isCAPostcode matches "V5V 3E1".
func isCAPostcode(p string) bool {
	up := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	return up(p[0]) && isDigit(p[1]) && up(p[2]) && p[3] == ' ' && isDigit(p[4]) && up(p[5]) && isDigit(p[6])
}

// tldCountry maps a country code top-level domain to its country ("uk" is GB).
func (x *Extractor) tldCountry(d string) string {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	i := strings.LastIndexByte(d, '.')
	if i < 0 {
		return ""
	}
	t := d[i+1:]
	if len(t) != 2 || x.vanity[t] {
		return ""
	}
	if t == "uk" {
		return "GB"
	}
	return strings.ToUpper(t)
}

// usStateCountryClash are US state codes that are also country codes buyers
// write after a city ("Berlin, DE").
var usStateCountryClash = map[string]bool{
	"AL": true, "AR": true, "CO": true, "DE": true, "GA": true, "ID": true, "IN": true, "LA": true, "MA": true, "MD": true,
	"ME": true, "MN": true, "MS": true, "MT": true, "NE": true, "PA": true, "SC": true, "SD": true, "TN": true, "VA": true,
}

// stateAfterPlace: s[i:j] is a state code that follows "Place, " and ends a
// phrase ("Palo Alto, CA", "Austin, TX 78701" is handled as a postcode).
func stateAfterPlace(s string, i, j int) bool {
	if i < 3 || s[i-1] != ' ' || s[i-2] != ',' {
		return false
	}
	if j < len(s) && (isWordRune(rune(s[j])) || s[j] == '@' || s[j] == '.' && j+1 < len(s) && isWordRune(rune(s[j+1]))) {
		return false
	}
	// The word before the comma is capitalised.
	k := i - 2
	st := k
	for st > 0 && isWordRune(rune(s[st-1])) {
		st--
	}
	return st < k && s[st] >= 'A' && s[st] <= 'Z'
}
