package extract

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// num is a number in the text, written in digits or as a word.
type num struct {
	start, end int
	val        float64
	isInt      bool
	word       bool // a number word ("two", "dos", "两")
	article    bool // "a", "un", "ein": one, but only before a model number
}

// scanNumbers finds numbers written in digits, with thousands separators
// ("2,000", "2.000", "2 000"), decimals ("7,50", "10.4") and "2k".
func scanNumbers(s string) []num {
	var out []num
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || i > 0 && isDigit(s[i-1]) {
			continue
		}
		n, ok := parseNumber(s, i)
		if ok {
			out = append(out, n)
			i = n.end - 1
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func parseNumber(s string, i int) (num, bool) {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	first := j - i
	val := atoi(s[i:j])
	isInt := true
	// Thousands groups: separator then exactly three digits.
	var sep byte
	for first <= 3 && j < len(s) {
		c := s[j]
		w := 1
		if c == ' ' && j+1 < len(s) && s[j+1] == ' ' {
			w = 2 // a no-break space lowered to two spaces
		}
		if c != ',' && c != '.' && c != ' ' || sep != 0 && c != sep {
			break
		}
		k := j + w
		if k+3 > len(s) || !isDigit(s[k]) || !isDigit(s[k+1]) || !isDigit(s[k+2]) || k+3 < len(s) && isDigit(s[k+3]) {
			break
		}
		// "10.400" is ten thousand four hundred, but "1.5" stays a decimal.
		sep = c
		val = val*1000 + atoi(s[k:k+3])
		j = k + 3
	}
	// Decimals.
	if j+1 < len(s) && (s[j] == '.' || s[j] == ',') && isDigit(s[j+1]) && (sep == 0 || s[j] != sep) {
		k := j + 1
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k-j-1 != 3 || sep != 0 {
			frac := s[j+1 : k]
			d := 1.0
			f := 0.0
			for _, c := range []byte(frac) {
				d /= 10
				f += float64(c-'0') * d
			}
			val += f
			isInt = false
			j = k
		}
	}
	if j < len(s) && s[j] == 'k' && (j+1 == len(s) || !isWordRune(rune(s[j+1]))) && isInt {
		val *= 1000
		j++
	}
	return num{start: i, end: j, val: val, isInt: isInt}, true
}

func atoi(s string) float64 {
	v := 0.0
	for i := 0; i < len(s); i++ {
		v = v*10 + float64(s[i]-'0')
	}
	return v
}

// skipSp skips spaces (not newlines).
func skipSp(s string, j int) int {
	for j < len(s) && s[j] == ' ' {
		j++
	}
	return j
}

// qmention is a quantity the text gives.
type qmention struct {
	val       int
	p         int // product index or -1
	line      int
	start     int
	sample    bool
	direct    bool // "3 samples": the figure counts samples by itself
	each      bool
	container bool
	excluded  bool
}

// quantity finds the pieces asked for (see Fields.Quantity).
func (x *Extractor) quantity(dc *doc, mi *modelInfo, f *Fields) {
	s := dc.low
	nums := append([]num(nil), dc.nums...)
	for k, i := range dc.byKind[kNumWord] {
		if k >= maxItems {
			break
		}
		m := &dc.ms[i]
		w := s[m.start:m.end]
		nums = append(nums, num{start: m.start, end: m.end, val: float64(m.e.val), isInt: true, word: true, article: x.articles[w]})
	}
	consumed := map[int]bool{}
	var qs []qmention
	// Containers first: "1x40HQ", "2 contenedores de 20'", "one 40' container".
	for _, n := range nums {
		if n.word || !n.isInt || n.val != 20 && n.val != 40 && n.val != 45 {
			continue
		}
		c, ok := x.container(dc, nums, n)
		if !ok {
			continue
		}
		consumed[c.countStart] = true
		consumed[n.start] = true
		p := x.lineModel(dc, mi, c.countStart)
		if p < 0 {
			continue
		}
		per := x.perContainer(p, int(n.val), c.typ)
		if per <= 0 {
			continue
		}
		qs = append(qs, qmention{val: c.count * per, p: p, line: dc.line(c.countStart), start: c.countStart, container: true,
			excluded: dc.sentHas(c.countStart, kNotOrder) || x.perAfter(dc, c.end)})
	}
	// Pieces: a number followed by a unit, a model, a product or a sample word.
	for _, n := range nums {
		if consumed[n.start] || n.val < 1 || !n.isInt || n.val > 10000000 {
			continue
		}
		if !n.word && n.start > 0 {
			r, _ := utf8.DecodeLastRuneInString(s[:n.start])
			if isWordRune(r) && needsBoundary(r) || strings.ContainsRune("-/.,#$€£¥", r) {
				continue
			}
			if x.currencyBefore(dc, n.start) {
				continue
			}
		}
		j := skipSp(s, n.end)
		if j < len(s) && s[j] == '%' {
			continue
		}
		// "300-500 pcs", "500~1000 units": the lower figure counts.
		if !n.word && j < len(s) && (s[j] == '-' || s[j] == '~' || strings.HasPrefix(s[j:], "–")) {
			k := skipSp(s, j+utf8.RuneLen(firstRune(s[j:])))
			if k < len(s) && isDigit(s[k]) {
				if hi, ok := parseNumber(s, k); ok && hi.val > n.val {
					j = skipSp(s, hi.end)
				}
			}
		}
		// "one (1) piece": the figure repeated in brackets.
		if j < len(s) && s[j] == '(' {
			k := j + 1
			for k < len(s) && k-j < 8 && isDigit(s[k]) {
				k++
			}
			if k > j+1 && k < len(s) && s[k] == ')' {
				j = skipSp(s, k+1)
			}
		}
		q := qmention{val: int(n.val), p: -1, line: dc.line(n.start), start: n.start}
		unitEnd := -1
		free := freeAt(s, j)
		cjk := n.word && !needsBoundary(firstRune(s[n.start:]))
		if u := dc.at(j, kUnit); u != nil && !n.article && !(cjk && s[u.start:u.end] == "个") {
			unitEnd = u.end
		} else if p, end := x.productAt(dc, mi, j, n.article); end > 0 {
			q.p = p
			unitEnd = end
		} else if p, end := x.productAt(dc, mi, free, false); free > j && end > 0 {
			// "1 free ER-E8": a free piece is a sample.
			q.p, q.sample, q.direct = p, true, true
			unitEnd = end
		} else if p, end := x.productAt(dc, mi, ofYour(s, j), false); ofYour(s, j) > j && end > 0 {
			// "2 of your ER-K3 Mini".
			q.p = p
			unitEnd = end
		} else if n.article {
			continue
		} else if x.sampleAfter(dc, j) {
			q.sample = true
			q.direct = true
			unitEnd = j
		} else if u := dc.at(j, kSampleUnit); u != nil && (dc.sentHas(n.start, kSample)) {
			q.sample = true
			unitEnd = u.end
		} else {
			continue
		}
		if x.perAfter(dc, unitEnd) {
			continue
		}
		// A number word counts only where products or samples are the
		// subject: "in one piece" is not an order.
		if n.word && q.p < 0 && !q.sample && !dc.sentHas(n.start, kSample) && !dc.sentHas(n.start, kSampleOne) &&
			!dc.sentHas(n.start, kModel) && !dc.sentHas(n.start, kWord) && !dc.sentHas(n.start, kNotMade) {
			continue
		}
		if !q.sample {
			q.sample = dc.sentHas(n.start, kSample) || dc.sentHas(n.start, kSampleOne)
		}
		q.each = x.eachNear(dc, n.start, unitEnd)
		q.excluded = dc.sentHas(n.start, kNotOrder)
		if q.p < 0 {
			q.p = x.lineModel(dc, mi, n.start)
		}
		if q.each && len(mi.order) > 1 {
			// "1 pc each (K200, K3 Mini, X Pro)": one of every model named.
			q.val *= len(mi.order)
			q.p = -1
			q.each = false
		}
		qs = append(qs, q)
	}
	// A sentence that gives its own sample figure ("600 pcs, need fast ship
	// + 1 sample") makes its other figures orders.
	for i := range qs {
		if !qs[i].direct {
			continue
		}
		si := dc.sentence(qs[i].start)
		for j := range qs {
			// ... unless of a sample's size ("2 muestras del E8 y 2 del K200").
			if j != i && !qs[j].direct && qs[j].sample && dc.sentence(qs[j].start) == si && qs[j].val > 5*qs[i].val {
				qs[j].sample = false
			}
		}
	}
	// "a free sample", "un échantillon de chaque modèle".
	for _, i := range dc.byKind[kSampleOne] {
		m := &dc.ms[i]
		qs = append(qs, qmention{val: 1, p: -1, line: dc.line(m.start), start: m.start, sample: true,
			each: x.eachNear(dc, m.start, m.end), excluded: dc.sentHas(m.start, kNotOrder)})
	}
	// A subject repeating a figure the text gives only for reference
	// ("Free sample for big order 10,000 pcs") does not make it an order.
	for i := range qs {
		if qs[i].start >= dc.textStart {
			continue
		}
		for j := range qs {
			if qs[j].start >= dc.textStart && qs[j].excluded && qs[j].val == qs[i].val {
				qs[i].excluded = true
			}
		}
	}
	x.sumQuantity(qs, mi, f)
}

// sumQuantity adds the order figures up: a figure per line (the largest,
// as "2,000 pcs total -- 1,200 black / 800 red"), summed over a block of
// consecutive lines (a table) unless one line is the total of the others,
// and the largest block per model. Containers count only for models without
// a piece figure; samples only when there is no order figure at all.
func (x *Extractor) sumQuantity(qs []qmention, mi *modelInfo, f *Fields) {
	perModel := func(sel func(q *qmention) bool) map[int]int {
		type key struct{ p, line int }
		lineVal := map[key]int{}
		for i := range qs {
			q := &qs[i]
			if q.excluded || !sel(q) {
				continue
			}
			k := key{q.p, q.line}
			if q.val > lineVal[k] {
				lineVal[k] = q.val
			}
		}
		byModel := map[int][]int{} // lines per model
		for k := range lineVal {
			byModel[k.p] = append(byModel[k.p], k.line)
		}
		out := map[int]int{}
		for p, lines := range byModel {
			sortInts(lines)
			best := 0
			for i := 0; i < len(lines); {
				j := i + 1
				for j < len(lines) && lines[j] == lines[j-1]+1 {
					j++
				}
				var vals []int
				sum := 0
				for _, l := range lines[i:j] {
					v := lineVal[key{p, l}]
					vals = append(vals, v)
					sum += v
				}
				block := sum
				for _, v := range vals {
					if len(vals) > 2 && 2*v == sum {
						block = v
					}
				}
				if block > best {
					best = block
				}
				i = j
			}
			out[p] = best
		}
		return out
	}
	orders := perModel(func(q *qmention) bool { return !q.sample && !q.container })
	conts := perModel(func(q *qmention) bool { return q.container })
	for p, v := range conts {
		if _, ok := orders[p]; !ok && p >= 0 {
			orders[p] = v
		}
	}
	total := 0
	for p, v := range orders {
		if p >= 0 {
			total += v
			if f.ModelQuantity == nil {
				f.ModelQuantity = map[string]int{}
			}
			f.ModelQuantity[x.products[p].Model] = v
		}
	}
	if v := orders[-1]; v > total {
		total = v
	}
	// Samples asked, as "3 free samples" or "1 pc each" of n models; the
	// figures of different models add up ("2 of ER-E8 and 2 of ER-K200").
	samples := 0
	perProduct := map[int]int{}
	for i := range qs {
		q := &qs[i]
		if q.excluded || !q.sample {
			continue
		}
		v := q.val
		if q.each && len(mi.order) > 1 {
			v *= len(mi.order)
		}
		if v > perProduct[q.p] {
			perProduct[q.p] = v
		}
	}
	sum := 0
	for p, v := range perProduct {
		if p >= 0 {
			sum += v
		}
	}
	samples = perProduct[-1]
	if sum > samples {
		samples = sum
	}
	f.Samples = samples
	if total == 0 {
		total = samples
	}
	if total > 0 {
		f.Quantity = &total
	}
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// productAt reports a model, product word or not-made word starting at j
// (or after an "x" or one short word, "2 free samples" aside): the figure
// before it counts pieces. Articles count only before a model number.
func (x *Extractor) productAt(dc *doc, mi *modelInfo, j int, article bool) (int, int) {
	s := dc.low
	try := func(pos int) (int, int) {
		if m := dc.at(pos, kModel); m != nil {
			return m.e.val, m.end
		}
		if article {
			return -1, 0
		}
		for _, k := range []kind{kWord, kNotMade, kModelList} {
			ix := dc.byKind[k]
			j := sort.Search(len(ix), func(j int) bool { return dc.ms[ix[j]].start >= pos })
			for ; j < len(ix) && dc.ms[ix[j]].start == pos; j++ {
				m := &dc.ms[ix[j]]
				if !(k == kWord && x.hasContext[m.e.val]) {
					p := -1
					if k == kWord || k == kModelList {
						p = m.e.val
					}
					return p, m.end
				}
			}
		}
		return -1, 0
	}
	if p, e := try(j); e > 0 {
		return p, e
	}
	// "2 x ER-E8"
	k := j
	if k < len(s) && (s[k] == 'x' || s[k] == '*') {
		k = skipSp(s, k+1)
	} else if strings.HasPrefix(s[k:], "×") {
		k = skipSp(s, k+len("×"))
	}
	if k == j {
		return -1, 0
	}
	return try(k)
}

// sampleAfter reports a sample word at j or after one or two words ("3 free
// samples", "two pre-production samples").
func (x *Extractor) sampleAfter(dc *doc, j int) bool {
	s := dc.low
	for w := 0; w < 3 && j < len(s); w++ {
		if dc.at(j, kSample) != nil {
			return true
		}
		k := j
		for k < len(s) && (isWordRune(rune(s[k])) || s[k] == '-') {
			k++
		}
		if k == j || k-j > 20 {
			return false
		}
		j = skipSp(s, k)
	}
	return false
}

// eachNear reports "each" right after the unit ("1 pc each", "de chaque
// modèle") or right before the number ("po jednej sztuce").
func (x *Extractor) eachNear(dc *doc, start, end int) bool {
	s := dc.low
	j := skipSp(s, end)
	if j < len(s) && s[j] == ',' {
		j = skipSp(s, j+1)
	}
	if dc.at(j, kEach) != nil {
		return true
	}
	m := dc.endingBefore(start, 3, kEach)
	return m != nil && skipSp(s, m.end) == start
}

// perAfter reports "per carton", "/carton", "pro Karton" after a unit.
func (x *Extractor) perAfter(dc *doc, end int) bool {
	j := skipSp(dc.low, end)
	return dc.at(j, kPer) != nil
}

func (x *Extractor) currencyBefore(dc *doc, start int) bool {
	return dc.endingBefore(start, 2, kCurrency) != nil
}

// lineModel is the model a figure on this line is for: the model named
// nearest on the line, else the only model of the message.
func (x *Extractor) lineModel(dc *doc, mi *modelInfo, pos int) int {
	l := dc.line(pos)
	best, bestD := -1, 1<<30
	for _, m := range mi.mentions {
		if m.line != l {
			continue
		}
		d := m.start - pos
		if d < 0 {
			d = -d
			// A figure right after the model: "ER-K3 Mini 两台及 ER-K200 一台".
			if m.end <= pos && strings.TrimSpace(dc.low[m.end:pos]) == "" {
				d = 0
			}
		}
		if d < bestD {
			best, bestD = m.p, d
		}
	}
	if best >= 0 {
		return best
	}
	if len(mi.order) == 1 {
		return mi.order[0]
	}
	return -1
}

type containerRef struct {
	count      int
	countStart int
	end        int
	typ        string // "hq", "gp", ""
}

// container reads a container load around size figure n ("40" of
// "1 x 40' HQ").
func (x *Extractor) container(dc *doc, nums []num, n num) (containerRef, bool) {
	s := dc.low
	c := containerRef{count: 1, countStart: n.start}
	j := skipSp(s, n.end)
	marked := false
	for _, q := range []string{"'", "’", "′", "\"", "”", "-foot", "foot", "feet", "ft", "尺", "pies", "pieds"} {
		if strings.HasPrefix(s[j:], q) {
			j += len(q)
			marked = true
			break
		}
	}
	k := skipSp(s, j)
	if k < len(s) && s[k] == '-' {
		k++
	}
	for _, t := range []string{"high cube", "hq", "hc", "gp", "dv", "st", "高柜", "柜", "櫃"} {
		if strings.HasPrefix(s[k:], t) {
			e := k + len(t)
			if e < len(s) && isWordRune(rune(s[e])) && t[0] < 0x80 {
				continue
			}
			switch t {
			case "hq", "hc", "high cube", "高柜":
				c.typ = "hq"
			case "gp", "dv", "st":
				c.typ = "gp"
			}
			marked = true
			j = e
			break
		}
	}
	if cw := dc.at(skipSp(s, j), kContainer); cw != nil {
		marked = true
		j = cw.end
	}
	c.end = j
	// Count before: "1 x", "2 контейнера", "contenedor de", "一个".
	b := n.start
	back := func() {
		for b > 0 && s[b-1] == ' ' {
			b--
		}
	}
	back()
	for step := 0; step < 3; step++ {
		switch {
		case b > 0 && (s[b-1] == 'x' || s[b-1] == '*') && (b == 1 || !isWordRune(rune(s[b-2]))):
			b--
			marked = true
		case strings.HasSuffix(s[:b], "×"):
			b -= len("×")
			marked = true
		case strings.HasSuffix(s[:b], " de") || strings.HasSuffix(s[:b], " of"):
			b -= 2
		case strings.HasSuffix(s[:b], "个"):
			b -= len("个")
		default:
			found := false
			for _, i := range dc.byKind[kContainer] {
				if m := &dc.ms[i]; m.end == b {
					b = m.start
					found, marked = true, true
				}
			}
			if !found {
				step = 3
				continue
			}
		}
		back()
	}
	if !marked {
		return c, false
	}
	for _, q := range nums {
		if q.end == b && q.isInt && q.val >= 1 && q.val <= 50 {
			c.count = int(q.val)
			c.countStart = q.start
		}
	}
	return c, true
}

// perContainer is how many pieces of product p fit the container.
func (x *Extractor) perContainer(p, size int, typ string) int {
	pc := x.products[p].PerContainer
	if len(pc) == 0 {
		return 0
	}
	want := []string{}
	switch {
	case size == 20:
		want = []string{"20GP", "20DV", "20"}
	case typ == "gp":
		want = []string{"40GP", "40DV", "40HQ", "40"}
	default:
		want = []string{"40HQ", "40HC", "40GP", "40"}
	}
	for _, w := range want {
		for k, v := range pc {
			if strings.EqualFold(k, w) {
				return v
			}
		}
	}
	return 0
}

// freeWords stand between a figure and a product in a sample request
// ("1 free ER-E8", "2 kostenlose K200").
var freeWords = []string{"free ", "free-of-charge ", "complimentary ", "kostenlose ", "kostenlosen ", "gratis ", "gratuit ", "gratuits ", "бесплатн"}

// freeAt returns where the product starts after a free word at j, or j.
func freeAt(s string, j int) int {
	for _, w := range freeWords {
		if strings.HasPrefix(s[j:], w) {
			k := j + len(w)
			for !strings.HasSuffix(w, " ") && k < len(s) && s[k] != ' ' {
				k++
			}
			return skipSp(s, k)
		}
	}
	return j
}

// ofYour returns where the product starts after "of your" / "of the" at j, or j.
func ofYour(s string, j int) int {
	for _, w := range []string{"of your ", "of the ", "of those ", "of these ", "de sus ", "de vos ", "de seus ", "dei vostri ", "ihrer ", "del ", "de los ", "do ", "dos ", "du ", "des ", "dello ", "della ", "von "} {
		if strings.HasPrefix(s[j:], w) {
			return skipSp(s, j+len(w))
		}
	}
	return j
}
