package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tradesift/tradesift/filter/internal/lcase"
)

// maxNames bounds the company names weighed in one message, and nameWindow
// how far around a legal form a name is looked for.
const (
	maxNames   = 64
	nameWindow = 200
)

// lineAround returns the bounds of the line holding s[i:end], at most
// nameWindow bytes either side.
func lineAround(s string, i, end int) (int, int) {
	lo := max(0, i-nameWindow)
	ls := lo + strings.LastIndexByte(s[lo:i], '\n') + 1
	hi := min(len(s), end+nameWindow)
	le := strings.IndexByte(s[end:hi], '\n')
	if le < 0 {
		le = hi
	} else {
		le += end
	}
	return ls, le
}

// company candidate
type compCand struct {
	text  string
	key   string // normName(text)
	pos   int
	score int
}

// identity finds the company, contact, address, phone and website.
func (x *Extractor) identity(dc *doc, f *Fields) {
	f.Company = x.company(dc)
	f.Contact = contactName(dc.m.From.Name, f.Company)
	f.Address = x.address(dc)
	f.Phone, _ = x.phoneNumber(dc)
	f.Website = x.website(dc)
}

// company picks the most credible company name: a name with a legal form
// ("Ltd", "GmbH", "S.A. de C.V.", "ООО «…»", "株式会社…", "شركة …"), or one
// introduced by "We are …" / "la société …", or a signature line ending in a
// trade word ("Asif Traders"). Names matching the sender's domain and names
// in the signature weigh more; the supplier's own name never counts.
func (x *Extractor) company(dc *doc) string {
	region := dc.orig[dc.textStart:]
	base := dc.textStart
	var cands []compCand
	add := func(text string, pos, score int) {
		if len(cands) >= maxNames {
			return
		}
		text = strings.TrimSpace(strings.Trim(strings.TrimSpace(text), ",;:-–|"))
		// "CEO, Asante Global Ventures": a job title before the name.
		if i := strings.Index(text, ", "); i > 0 && x.titleWords(text[:i]) {
			pos += i + 2
			text = strings.TrimSpace(text[i+2:])
		}
		if utf8.RuneCountInString(text) < 3 || utf8.RuneCountInString(text) > 80 {
			return
		}
		k := normName(text)
		for _, own := range x.ownNames {
			if strings.Contains(k, own) || strings.Contains(own, k) {
				return
			}
		}
		if pos >= dc.sigFrom {
			score++
		}
		cands = append(cands, compCand{text, k, pos, score})
	}
	// Legal forms after the name.
	for _, mi := range dc.byKind[kSuffix] {
		if len(cands) >= maxNames {
			break
		}
		m := &dc.ms[mi]
		suf := x.suffixes[m.e.val]
		if m.start < base || dc.orig[m.start:m.end] != suf {
			continue
		}
		i, end := m.start-base, m.end-base
		if !suffixBoundary(region, i, end, suf) {
			continue
		}
		ls, le := lineAround(region, i, end)
		first, _ := utf8.DecodeRuneInString(suf)
		if isCJK(first) || isArabic(first) {
			if start := cjkNameStart(region, ls, i); start >= 0 {
				add(region[start:end], base+start, 4+x.lineBonus(region[ls:le], region[start:end]))
			}
			continue
		}
		if start := x.nameStart(region[ls:i]); start >= 0 {
			add(region[ls+start:end], base+ls+start, 4+x.lineBonus(region[ls:le], region[ls+start:end]))
		}
	}
	// Legal forms before the name.
	for _, mi := range dc.byKind[kPrefix] {
		if len(cands) >= maxNames {
			break
		}
		m := &dc.ms[mi]
		pre := x.prefixes[m.e.val]
		if m.start < base || dc.orig[m.start:m.end] != pre {
			continue
		}
		i := m.start - base
		ls, _ := lineAround(region, i, i)
		if name := x.afterPrefix(region, i, pre); name != "" {
			lineStart := strings.TrimSpace(region[ls:i]) == ""
			first, _ := utf8.DecodeRuneInString(pre)
			if isArabic(first) && !lineStart && !strings.HasSuffix(strings.TrimSpace(region[ls:i]), "نحن") {
				continue
			}
			sc := 4
			if lineStart {
				sc++
			}
			add(name, base+i, sc)
		}
	}
	low := dc.low[base:]
	// "We are X, a …", "la société X", "компания «X»".
	for _, mi := range dc.byKind[kIntro] {
		if len(cands) >= maxNames {
			break
		}
		m := &dc.ms[mi]
		if m.start < base {
			continue
		}
		in := x.intro[m.e.val]
		j := skipSp(low, m.end-base)
		if j < len(region) && strings.ContainsRune("«\"“", firstRune(region[j:])) {
			// Only a company word introduces a quoted name: компания «X».
			q := quoted(region[j:])
			if q != "" && in != "from" && in != "of" && in != "this is" && in != "we are" {
				inner := strings.Trim(q, "«»\"“”")
				if unicode.IsUpper(firstRune(inner)) && len(strings.Fields(inner)) <= 4 {
					add(q, base+j, 3)
				}
			}
			continue
		}
		if j >= len(region) || !unicode.IsUpper(firstRune(region[j:])) {
			continue
		}
		name, last := x.nameAfter(region[j:min(len(region), j+nameWindow)])
		if name == "" {
			continue
		}
		trade := x.tradeWords[strings.Trim(last, ".,")]
		if (in == "from" || in == "of") && !trade {
			continue
		}
		sc := 2
		if trade {
			sc++
		}
		add(name, base+j, sc)
	}
	// Signature lines like "Asif Traders".
	for ls := 0; ls < len(region); {
		le := strings.IndexByte(region[ls:], '\n')
		if le < 0 {
			le = len(region)
		} else {
			le += ls
		}
		if le-ls > 80 {
			ls = le + 1
			continue
		}
		line := strings.TrimSpace(strings.Trim(region[ls:le], " |-–"))
		lastTok := strings.Trim(line[strings.LastIndexByte(line, ' ')+1:], ".,")
		if !x.tradeWords[lastTok] {
			ls = le + 1
			continue
		}
		toks := strings.Fields(line)
		if n := len(toks); n >= 2 && n <= 5 && x.tradeWords[strings.Trim(toks[n-1], ".,")] {
			ok := true
			for _, t := range toks {
				if !x.nameToken(t) {
					ok = false
					break
				}
			}
			if ok {
				add(line, base+ls, 3)
			}
		}
		ls = le + 1
	}
	// A signature line that spells the sender's own domain ("VoltLoop"
	// from voltloop.io, "Weber Handelsvertretung" from
	// weber-handelsvertretung.de), not the sender's own name.
	if d := dc.m.From.Domain(); d != "" && !x.isFreeMail(d) {
		label := normName(domainLabel(d))
		person := normName(dc.m.From.Name)
		sig := dc.sigFrom
		if sig >= len(dc.orig) {
			// No signature block split off: the closing lines.
			sig = tailFrom(dc.orig, base, 6)
		}
		from := sig - base
		if from < 0 {
			from = 0
		}
		for ls := from; ls < len(region) && len(label) >= 4; {
			le := strings.IndexByte(region[ls:], '\n')
			if le < 0 {
				le = len(region)
			} else {
				le += ls
			}
			line := strings.TrimSpace(strings.Trim(region[ls:le], " |-–"))
			toks := strings.Fields(line)
			ok := len(toks) >= 1 && len(toks) <= 5 && len(line) <= 60 && !strings.ContainsAny(line, "@:/")
			for _, t := range toks {
				if !x.nameToken(t) {
					ok = false
					break
				}
			}
			if ok {
				k := normName(line)
				if k != person && len(k) >= 4 && (domainAgrees(k, label) || strings.Contains(label, k) && len(k) >= 6) {
					add(line, base+ls, 3)
				}
			}
			ls = le + 1
		}
	}
	// The line under the sender's own name in the closing lines: "Felipe
	// Osorio / Extremo Rider – Medellín", "Emma Clarke / Buying Office |
	// RideKids", "陈丽芳 / 童乐玩具". Only when nothing better is found.
	if len(cands) == 0 {
		if name := x.lineUnderSender(dc, base); name != "" {
			add(name, dc.sigFrom, 1)
		}
	}
	if len(cands) == 0 {
		return ""
	}
	// One name found through several legal forms ("Ltd. Şti." and "Ltd.")
	// counts once, as its longest reading.
	kept := cands[:0]
	for i, c := range cands {
		longer := false
		for j, o := range cands {
			if j != i && o.pos == c.pos && len(o.text) > len(c.text) && strings.HasPrefix(o.text, c.text) {
				longer = true
				break
			}
		}
		if !longer {
			kept = append(kept, c)
		}
	}
	cands = kept
	// Domain agreement and repetition.
	label := ""
	if d := dc.m.From.Domain(); d != "" && !x.isFreeMail(d) {
		label = normName(domainLabel(d))
	}
	count := map[string]int{}
	for _, c := range cands {
		count[c.key]++
	}
	best := -1
	for i := range cands {
		c := &cands[i]
		k := c.key
		c.score += count[k] - 1
		if label != "" && len(label) >= 4 && domainAgrees(k, label) {
			c.score += 2
		}
		if best < 0 || c.score > cands[best].score || c.score == cands[best].score && len(c.text) > len(cands[best].text) && strings.Contains(c.text, cands[best].text) {
			best = i
		}
	}
	return cands[best].text
}

// lineBonus favours a name that fills its own line (a signature line).
func (x *Extractor) lineBonus(line, name string) int {
	norm := func(s string) string { return strings.TrimSpace(strings.Trim(strings.TrimSpace(s), ",.|")) }
	if norm(line) == norm(name) {
		return 1
	}
	return 0
}

func domainAgrees(name, label string) bool {
	if strings.Contains(name, label) {
		return true
	}
	n := 6
	if len(label) < n {
		n = len(label)
	}
	return len(name) >= n && strings.HasPrefix(label, name[:n])
}

// suffixBoundary checks that a legal form stands alone: "Inc" is not the
// start of "Incoterm", nor "AG" the end of "PAG".
func suffixBoundary(s string, i, end int, suf string) bool {
	first, _ := utf8.DecodeRuneInString(suf)
	last, _ := utf8.DecodeLastRuneInString(suf)
	if !isCJK(first) && !isArabic(first) {
		if i == 0 {
			return false
		}
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		if r != ' ' && r != ',' && r != '\u00a0' && !(suf[0] == '&') {
			return false
		}
	}
	if end < len(s) && isWordRune(last) {
		r, _ := utf8.DecodeRuneInString(s[end:])
		if isWordRune(r) && !isCJK(r) {
			return false
		}
	}
	return true
}

// nameStart walks back from a legal form over capitalised words and
// connectors and returns where the name starts in before, or -1.
func (x *Extractor) nameStart(before string) int {
	end := len(strings.TrimRight(before, " \u00a0"))
	if end == 0 {
		return -1
	}
	s := before[:end]
	s = strings.TrimSuffix(s, ",")
	start := -1
	nameToks := 0
	firstTok := true
	pos := len(s)
	for n := 0; n < 8 && pos > 0; n++ {
		j := strings.LastIndexAny(s[:pos], " \u00a0\t")
		tok := s[j+1 : pos]
		if tok == "" {
			pos = j
			continue
		}
		if !firstTok && strings.ContainsAny(tok[len(tok)-1:], ",;:)|") {
			break
		}
		core := strings.TrimRight(tok, ",")
		openLen := 0
		if r := firstRune(core); strings.ContainsRune("(«\"“'", r) {
			openLen = utf8.RuneLen(r)
			core = core[openLen:]
		}
		if core == "" {
			break
		}
		lc := strings.ToLower(strings.Trim(core, ".,"))
		if x.titles[lc] {
			break
		}
		if strings.HasSuffix(core, ".") && utf8.RuneCountInString(core) > 5 && !firstTok {
			break
		}
		if x.connectors[core] || core == "&" || core == "+" {
			// kept only if a name word comes before it
		} else if x.nameToken(core) {
			nameToks++
		} else {
			break
		}
		start = j + 1 + openLen
		if openLen > 0 {
			break
		}
		firstTok = false
		pos = j
		if j < 0 {
			break
		}
	}
	if nameToks == 0 || start < 0 {
		return -1
	}
	// Trim leading connectors.
	for {
		rest := s[start:]
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			break
		}
		w := rest[:sp]
		if x.connectors[w] || w == "&" {
			start += sp + 1
			continue
		}
		break
	}
	return start
}

// nameToken reports a word that can be part of a name: capitalised
// ("Trailhead", "ScootWorld", "Ride-On", "YK"), or an abbreviation ("San.").
func (x *Extractor) nameToken(t string) bool {
	r := firstRune(t)
	if unicode.IsUpper(r) {
		return true
	}
	if unicode.IsDigit(r) {
		// "3D Printing": digits followed by capitals
		for _, c := range t {
			if unicode.IsUpper(c) {
				return true
			}
		}
	}
	return x.connectors[strings.ToLower(t)] || t == "&" || t == "+"
}

// nameAfter reads a capitalised run after an introducer ("We are X, a …").
func (x *Extractor) nameAfter(s string) (string, string) {
	le := strings.IndexAny(s, "\n")
	if le >= 0 {
		s = s[:le]
	}
	toks := strings.Fields(s)
	var out []string
	last := ""
	for i, t := range toks {
		if i >= 7 {
			break
		}
		core := strings.TrimRight(t, ",;:.!?)")
		lc := strings.ToLower(core)
		if core == "" || x.titles[lc] {
			break
		}
		if x.connectors[lc] || core == "&" {
			if len(out) == 0 {
				break
			}
			out = append(out, core)
			if core != t {
				break
			}
			continue
		}
		if !unicode.IsUpper(firstRune(core)) {
			break
		}
		out = append(out, core)
		last = core
		if core != t {
			break
		}
	}
	for len(out) > 0 && (x.connectors[strings.ToLower(out[len(out)-1])] || out[len(out)-1] == "&") {
		out = out[:len(out)-1]
	}
	if len(out) == 0 {
		return "", ""
	}
	return strings.Join(out, " "), last
}

// afterPrefix reads the name after a legal form written first.
func (x *Extractor) afterPrefix(s string, i int, pre string) string {
	j := i + len(pre)
	k := j
	for k < len(s) && (s[k] == ' ' || strings.HasPrefix(s[k:], "\u3000")) {
		if s[k] == ' ' {
			k++
		} else {
			k += 3
		}
	}
	if k >= len(s) {
		return ""
	}
	r := firstRune(s[k:])
	switch {
	case strings.ContainsRune("«\"“", r):
		if q := quoted(s[k:]); q != "" {
			return pre + " " + q
		}
		return ""
	case isArabic(r):
		end := k
		words := 0
		for end < len(s) && words < 7 {
			c, n := utf8.DecodeRuneInString(s[end:])
			if c == '\n' || c == '،' || c == ',' || c == '(' || c == '.' && !strings.HasPrefix(s[end:], ".م") {
				break
			}
			if c == ' ' {
				words++
			}
			end += n
		}
		return strings.TrimSpace(s[i:end])
	case unicode.Is(unicode.Hangul, r):
		// "한빛레저 주식회사 김철수": the legal form after the name.
		if b := strings.TrimRight(s[:i], " "); len(b) < i {
			st := len(b)
			for st > 0 {
				c, n := utf8.DecodeLastRuneInString(b[:st])
				if !unicode.Is(unicode.Hangul, c) {
					break
				}
				st -= n
			}
			if st < len(b) && (st == 0 || !isWordRune(firstRuneBefore(b, st))) {
				return b[st:] + " " + pre
			}
		}
		end := k
		for end < len(s) {
			c, n := utf8.DecodeRuneInString(s[end:])
			if !unicode.Is(unicode.Hangul, c) && !unicode.IsLetter(c) {
				break
			}
			end += n
		}
		return s[i:j] + " " + s[k:end]
	case isCJK(r) || unicode.IsUpper(r):
		// One run of the same script: "株式会社ミナトスポーツ購買部" stops at 購.
		kat := unicode.In(r, unicode.Katakana)
		end := k
		// "さくら商事": a name may start with Hiragana before its Kanji.
		if unicode.In(r, unicode.Hiragana) {
			h := k
			for h < len(s) {
				c, n := utf8.DecodeRuneInString(s[h:])
				if !unicode.In(c, unicode.Hiragana) {
					break
				}
				h += n
			}
			if c := firstRune(s[h:]); h < len(s) && utf8.RuneCountInString(s[k:h]) >= 2 && (unicode.In(c, unicode.Han) || unicode.In(c, unicode.Katakana)) {
				end = h
			}
		}
		for end < len(s) {
			c, n := utf8.DecodeRuneInString(s[end:])
			if kat && !(unicode.In(c, unicode.Katakana) || c == 'ー' || c == '・') {
				break
			}
			if !kat && (!isWordRune(c) || unicode.In(c, unicode.Hiragana)) {
				// "ТД Самокат-Опт", "ООО ТехноПрокат Инжиниринг": a
				// hyphenated or multi-word capitalised name.
				if !isCJK(r) && (c == '-' || c == ' ') && end+1 < len(s) && unicode.IsUpper(firstRune(s[end+1:])) && strings.Count(s[k:end], " ") < 2 {
					end += n
					continue
				}
				break
			}
			end += n
		}
		if end == k {
			return ""
		}
		if j == k {
			return s[i:end]
		}
		return s[i:j] + " " + s[k:end]
	}
	return ""
}

// cjkNameStart walks back from a CJK or Arabic legal form written last
// ("宏騏企業社", "…有限公司") over Han letters and returns the start, or -1.
func cjkNameStart(s string, ls, i int) int {
	first, _ := utf8.DecodeRuneInString(s[i:])
	if isArabic(first) {
		// "شركة … ذ.م.م": the Arabic name before, back to the line start.
		start := ls
		for start < i && s[start] == ' ' {
			start++
		}
		if start == i {
			return -1
		}
		return start
	}
	start := i
	n := 0
	for start > ls {
		r, w := utf8.DecodeLastRuneInString(s[:start])
		// Han, or Katakana for Japanese names ("ミナトスポーツ株式会社").
		if !(unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Katakana) || r == 'ー') || strings.ContainsRune("的是在我们們贵貴和与與及为為向从從", r) {
			break
		}
		start -= w
		n++
	}
	if n < 2 {
		return -1
	}
	return start
}

// quoted returns «X» or "X" with its quotes.
func quoted(s string) string {
	open := firstRune(s)
	cl := map[rune]rune{'«': '»', '"': '"', '“': '”'}[open]
	rest := s[utf8.RuneLen(open):]
	j := strings.IndexRune(rest, cl)
	if j <= 0 || j > 60 || strings.ContainsRune(rest[:j], '\n') {
		return ""
	}
	return s[:utf8.RuneLen(open)+j+utf8.RuneLen(cl)]
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func isArabic(r rune) bool { return unicode.Is(unicode.Arabic, r) }

// normName keeps lower-case letters and digits, for comparing names.
func normName(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r)+'a'-'A')
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b = utf8.AppendRune(b, lcase.Rune(r))
		}
	}
	return string(b)
}

// domainLabel is the registered name of a domain: "kubus-hurt" of
// "www.kubus-hurt.pl", "ridekids" of "ridekids.com.au".
func domainLabel(d string) string {
	d = strings.TrimPrefix(strings.ToLower(d), "www.")
	parts := strings.Split(d, ".")
	for i := len(parts) - 2; i >= 0; i-- {
		p := parts[i]
		switch p {
		case "com", "co", "net", "org", "gov", "edu", "ac", "or", "ne", "go":
			continue
		}
		if len(p) == 2 && i == len(parts)-2 && len(parts) > 2 {
			continue
		}
		return p
	}
	return ""
}

// contactName is the sender's display name, as a person: "Vogel, Katrin"
// becomes "Katrin Vogel"; "Name - Company" keeps the name.
func contactName(n, company string) string {
	n = strings.TrimSpace(strings.Trim(n, "\"' "))
	if n == "" || strings.Contains(n, "@") {
		return ""
	}
	for _, sep := range []string{" - ", " | ", " – "} {
		if i := strings.Index(n, sep); i > 0 {
			n = strings.TrimSpace(n[:i])
		}
	}
	if company != "" && normName(n) == normName(company) {
		return ""
	}
	if i := strings.Index(n, ", "); i > 0 && !strings.Contains(n[i+2:], " ") {
		n = n[i+2:] + " " + n[:i]
	}
	return n
}

// address returns the first line that looks like a street address.
func (x *Extractor) address(dc *doc) string {
	from := dc.textStart
	for _, i := range dc.byKind[kStreet] {
		m := &dc.ms[i]
		if m.start < from {
			continue
		}
		// Arabic words match anywhere: "برج" (tower) must not be read in
		// "برجاء" (please).
		if r, _ := utf8.DecodeRuneInString(dc.low[m.start:]); isArabic(r) && m.end < len(dc.low) {
			if r2, _ := utf8.DecodeRuneInString(dc.low[m.end:]); isArabic(r2) && unicode.IsLetter(r2) {
				continue
			}
		}
		ls, le := lineAround(dc.orig, m.start, m.end)
		line := dc.orig[ls:le]
		if !strings.ContainsAny(line, "0123456789٠١٢٣٤٥٦٧٨٩") || strings.Contains(line, "@") {
			continue
		}
		// Cut phone and web parts off "… 46004 Valencia | Tel. …".
		for _, sep := range []string{" | ", " · ", "  "} {
			parts := strings.Split(line, sep)
			for _, p := range parts {
				if strings.Contains(strings.ToLower(p), dc.low[m.start:m.end]) {
					line = p
					break
				}
			}
		}
		line = strings.TrimSpace(line)
		if n := utf8.RuneCountInString(line); n < 8 || n > 120 || isSentence(line) {
			continue
		}
		return line
	}
	// Glued street words: "Hafenstraße 21", "Industrieweg 42", in the
	// closing lines where signatures are.
	for _, line := range strings.Split(dc.orig[tailFrom(dc.orig, from, 25):], "\n") {
		for _, part := range strings.Split(line, " | ") {
			if !strings.ContainsAny(part, "0123456789") || isSentence(part) {
				continue // the test below needs a digit and no prose
			}
			for _, w := range strings.Fields(strings.ToLower(part)) {
				w = strings.TrimRight(w, ",")
				for _, suf := range x.streetSuffix {
					if strings.HasSuffix(w, suf) && len(w) > len(suf)+2 && strings.ContainsAny(part, "0123456789") && !isSentence(part) {
						return strings.TrimSpace(part)
					}
				}
			}
		}
	}
	return ""
}

// isSentence reports prose rather than an address line.
func isSentence(s string) bool {
	return (strings.Contains(s, ". ") || strings.HasSuffix(strings.TrimSpace(s), ".")) && strings.Count(s, " ") > 12 || strings.ContainsAny(s, "。？?！!")
}

// phoneNumber finds a phone number and the country its calling code names.
func (x *Extractor) phoneNumber(dc *doc) (string, string) {
	s := dc.orig
	try := func(i int) (string, int) {
		j := i
		digits := 0
		last := i
		for j < len(s) {
			c := s[j]
			if isDigit(c) {
				digits++
				last = j + 1
			} else if !strings.ContainsRune(" -().+/", rune(c)) || c == '+' && j != i {
				break
			}
			if digits > 15 {
				return "", 0
			}
			j++
		}
		if digits < 7 {
			return "", 0
		}
		return strings.TrimSpace(s[i:last]), digits
	}
	// "+49 561 4087 220"
	for i := dc.textStart; i < len(s); i++ {
		if s[i] == '+' && i+1 < len(s) && (isDigit(s[i+1]) || s[i+1] == ' ' && i+2 < len(s) && isDigit(s[i+2])) {
			if p, _ := try(i); p != "" {
				return p, x.callingCountry(p)
			}
		}
	}
	// "Tel. 963 55 01 27"
	for _, i := range dc.byKind[kPhoneCue] {
		m := &dc.ms[i]
		if m.start < dc.textStart {
			continue
		}
		j := m.end
		for j < len(s) && j-m.end < 6 {
			r, n := utf8.DecodeRuneInString(s[j:])
			if !strings.ContainsRune(" :.：/", r) {
				break
			}
			j += n
		}
		if j < len(s) && (isDigit(s[j]) || s[j] == '(') {
			if p, _ := try(j); p != "" {
				return p, ""
			}
		}
	}
	// A signature segment that is only a number: "604-555-0193 | site.ca".
	for _, line := range strings.Split(s[dc.textStart:], "\n") {
		for _, seg := range fieldsAt(line, "|") {
			seg = strings.TrimSpace(seg)
			if seg == "" || strings.Trim(seg, "0123456789 +-().") != "" {
				continue
			}
			if p, d := try(strings.Index(s, seg)); p != "" && d >= 8 {
				return p, ""
			}
		}
	}
	return "", ""
}

// callingCountry maps "+49 …" to DE, longest calling code first.
func (x *Extractor) callingCountry(p string) string {
	var d []byte
	for i := 0; i < len(p) && len(d) < 4; i++ {
		if isDigit(p[i]) {
			d = append(d, p[i])
		}
	}
	for n := len(d); n >= 1; n-- {
		if c, ok := x.phone[string(d[:n])]; ok {
			return c
		}
	}
	return ""
}

var platforms = []string{"youtube.", "facebook.", "instagram.", "linkedin.", "tiktok.", "twitter.", "x.com", "wa.me", "t.me", "alibaba.", "amazon.", "google.", "bit.ly"}

// website returns the buyer's website: "www.x.com", "https://x.com" or a
// bare domain in a signature.
func (x *Extractor) website(dc *doc) string {
	s := dc.orig[dc.textStart:]
	ls := dc.low[dc.textStart:]
	ok := func(w string) bool {
		d := siteDomain(w)
		if d == "" || !strings.Contains(d, ".") || d == x.ownDomain || strings.HasSuffix(d, "."+x.ownDomain) || x.isFreeMail(d) {
			return false
		}
		for _, p := range platforms {
			if strings.HasPrefix(d, p) || strings.Contains(d, "."+p) {
				return false
			}
		}
		return true
	}
	for _, pre := range []string{"www.", "https://", "http://"} {
		for off := 0; ; {
			i := strings.Index(ls[off:], pre)
			if i < 0 {
				break
			}
			i += off
			off = i + len(pre)
			if i > 0 && (isWordRune(rune(ls[i-1])) || ls[i-1] == '/' || ls[i-1] == '.' || ls[i-1] == '@') {
				continue
			}
			w := urlToken(s[i:])
			if ok(w) {
				return w
			}
		}
	}
	// Bare domains in a signature line: "| ridekids.com.au".
	for _, line := range strings.Split(s[tailFrom(s, 0, 25):], "\n") {
		if !strings.Contains(line, ".") {
			continue // no token of it has a dot
		}
		for _, t := range fieldsAt(line, " |,") {
			t = strings.TrimRight(t, ".;)")
			if strings.Contains(t, "@") || strings.Count(t, ".") == 0 {
				continue
			}
			lt := strings.ToLower(t)
			tld := lt[strings.LastIndexByte(lt, '.')+1:]
			if !(len(tld) == 2 && strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") == "") && tld != "com" && tld != "net" && tld != "org" {
				continue
			}
			if !isLetters(strings.NewReplacer(".", "", "-", "").Replace(lt)) {
				continue
			}
			if ok(t) {
				return t
			}
		}
	}
	return ""
}

// isLetters reports lower-case ASCII letters and digits with a letter.
func isLetters(s string) bool {
	letter := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			letter = true
		case r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return letter
}

func urlToken(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("|,;<>\"'()）", r)
	})
	if end < 0 {
		end = len(s)
	}
	return strings.TrimRight(s[:end], ".")
}

// siteDomain is the host of a web address, lower case, without "www.".
func siteDomain(w string) string {
	w = strings.ToLower(w)
	for _, p := range []string{"https://", "http://"} {
		w = strings.TrimPrefix(w, p)
	}
	if i := strings.IndexAny(w, "/?#:"); i >= 0 {
		w = w[:i]
	}
	return strings.TrimPrefix(w, "www.")
}

// isFreeMail reports a free-mail domain ("gmail.com", "yahoo.com.tw").
func (x *Extractor) isFreeMail(d string) bool {
	d = strings.ToLower(d)
	for _, f := range x.freeMail {
		if strings.HasSuffix(f, ".*") {
			if strings.HasPrefix(d, strings.TrimSuffix(f, "*")) {
				return true
			}
		} else if d == f {
			return true
		}
	}
	return false
}

// tailFrom returns the offset in s (not before from) where its last n lines
// start.
func tailFrom(s string, from, n int) int {
	i := len(s)
	for ; n > 0 && i > from; n-- {
		j := strings.LastIndexByte(s[from:i], '\n')
		if j < 0 {
			return from
		}
		i = from + j
	}
	if i < from {
		return from
	}
	return i
}

// titleWords reports a job title ("CEO", "Purchasing Manager").
func (x *Extractor) titleWords(s string) bool {
	toks := strings.Fields(strings.ToLower(s))
	if len(toks) == 0 || len(toks) > 4 {
		return false
	}
	for _, t := range toks {
		if !x.titles[strings.Trim(t, ".,")] && !x.connectors[t] {
			return false
		}
	}
	return true
}

func firstRuneBefore(s string, i int) rune {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

// lineUnderSender returns a company-like part of the line right under the
// sender's name in the closing lines, or "".
func (x *Extractor) lineUnderSender(dc *doc, base int) string {
	person := normName(dc.m.From.Name)
	if len(person) < 3 {
		return ""
	}
	lines := strings.Split(dc.orig[tailFrom(dc.orig, base, 8):], "\n")
	for i, l := range lines {
		if normName(l) != person {
			continue
		}
		for _, next := range lines[i+1:] {
			next = strings.TrimSpace(next)
			if next == "" {
				continue
			}
			if strings.ContainsAny(next, "@:/0123456789+") {
				return ""
			}
			for _, sep := range []string{" | ", " – ", " — ", " - ", ", "} {
				next = strings.ReplaceAll(next, sep, "\x00")
			}
			parts := strings.Split(next, "\x00")
			low := func(i int) string { return strings.ToLower(strings.TrimSpace(parts[i])) }
			if x.placeNames[low(0)] || len(parts) > 1 && x.countryNames[low(len(parts)-1)] {
				return "" // "Oran, Algeria": a place, not a company
			}
			for _, part := range parts {
				part = strings.TrimSpace(part)
				if x.placeNames[strings.ToLower(part)] {
					continue
				}
				if part == "" || x.titleWords(part) || x.titleLike(part) {
					continue
				}
				if x.companyLike(part) {
					return part
				}
				return ""
			}
			return ""
		}
		return ""
	}
	return ""
}

// titleLike: a part made of a job title and department words ("Buying
// Office", "Gerente de Compras").
func (x *Extractor) titleLike(s string) bool {
	for _, t := range strings.Fields(strings.ToLower(s)) {
		t = strings.Trim(t, ".,")
		if x.titles[t] {
			return true
		}
		switch t {
		case "office", "department", "dept", "team", "sales", "buying", "compras", "achats", "einkauf", "acquisti", "закупки", "отдел":
			return true
		}
	}
	return false
}

// companyLike: 1-4 capitalised words, or 2-12 Han/Kana letters.
func (x *Extractor) companyLike(s string) bool {
	if n := utf8.RuneCountInString(s); n < 2 || n > 40 {
		return false
	}
	r := firstRune(s)
	if isCJK(r) {
		for _, c := range s {
			if !isCJK(c) {
				return false
			}
		}
		return utf8.RuneCountInString(s) <= 12
	}
	toks := strings.Fields(s)
	if len(toks) > 4 {
		return false
	}
	for _, t := range toks {
		if !x.nameToken(t) {
			return false
		}
	}
	return unicode.IsUpper(r)
}

// fieldsAt is strings.FieldsFunc(s, f) where f is true for the ASCII
// bytes of seps and for '·', found by bytes: neither can be part of
// another rune's encoding ('·' is C2 B7, and C2 is never a continuation
// byte), so the fields are the same.
func fieldsAt(s, seps string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		w := 0
		switch c := s[i]; {
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0xb7:
			w = 2
		case c < utf8.RuneSelf && strings.IndexByte(seps, c) >= 0:
			w = 1
		default:
			i++
			continue
		}
		if i > start {
			out = append(out, s[start:i])
		}
		i += w
		start = i
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
