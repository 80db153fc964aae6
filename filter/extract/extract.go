package extract

import (
	"embed"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
)

// The vocabularies that are not the supplier's: languages, places, units,
// trade terms and legal forms. The supplier's catalog words come from the
// configuration.
//
//go:embed data/*.toml
var dataFS embed.FS

type langData struct {
	MinShare  float64             `toml:"min_share"`
	Stopwords map[string][]string `toml:"stopwords"`
	Letters   map[string]string   `toml:"letters"`
	Country   map[string]string   `toml:"country"`
}

type geoData struct {
	VanityTLDs []string            `toml:"vanity_tlds"`
	FreeMail   []string            `toml:"free_mail"`
	Countries  map[string][]string `toml:"countries"`
	Cities     map[string][]string `toml:"cities"`
	Phone      map[string]string   `toml:"phone"`
	Postal     map[string][]string `toml:"postal"`
}

type wordsData struct {
	Quantity struct {
		Units       []string       `toml:"units"`
		SampleUnits []string       `toml:"sample_units"`
		Samples     []string       `toml:"samples"`
		SampleOne   []string       `toml:"sample_one"`
		Each        []string       `toml:"each"`
		Articles    []string       `toml:"articles"`
		Numbers     map[string]int `toml:"numbers"`
		NotOrder    []string       `toml:"not_order"`
		Per         []string       `toml:"per"`
	} `toml:"quantity"`
	Containers struct {
		Words []string `toml:"words"`
	} `toml:"containers"`
	Terms struct {
		Incoterms  []string          `toml:"incoterms"`
		AnyCase    []string          `toml:"incoterms_any_case"`
		Meaning    []string          `toml:"meaning"`
		Currencies map[string]string `toml:"currencies"`
		Target     []string          `toml:"target"`
	} `toml:"terms"`
	Payment  map[string][]string `toml:"payment"`
	Delivery struct {
		Cues   []string       `toml:"cues"`
		Days   []string       `toml:"days"`
		Weeks  []string       `toml:"weeks"`
		Within []string       `toml:"within"`
		Months map[string]int `toml:"months"`
	} `toml:"delivery"`
	Identity struct {
		Suffixes     []string `toml:"suffixes"`
		Prefixes     []string `toml:"prefixes"`
		Introducers  []string `toml:"introducers"`
		TradeWords   []string `toml:"trade_words"`
		Titles       []string `toml:"titles"`
		Connectors   []string `toml:"connectors"`
		Joiners      []string `toml:"joiners"`
		Street       []string `toml:"street"`
		StreetSuffix []string `toml:"street_suffix"`
		Phone        []string `toml:"phone"`
	} `toml:"identity"`
}

// cue is a custom-work cue group: it fires when all parts of one of its
// alternatives are found in one sentence.
type cue struct {
	name string
	alts [][]int // part ids
}

// Extractor finds Fields in decoded messages. It is built once from the
// supplier's configuration and is safe for concurrent use.
type Extractor struct {
	d *dict

	products   []config.Product
	hasContext []bool
	notMade    []string
	cues       []cue
	nParts     int

	incoterms  []string
	anyCase    map[string]bool
	currencies []string
	payments   []string
	countries  []string
	articles   map[string]bool

	langs       []string
	stop        map[string]uint32     // word -> bit set of languages
	maxStop     int                   // the length of the longest word in stop
	letters     map[rune]int          // letter -> language index
	letterBit   *[0x10000 / 64]uint64 // the letters below 0x10000, as bits
	minShare    float64
	langCountry map[string]string

	phone        map[string]string
	freeMail     []string
	vanity       map[string]bool
	postal       map[string]string // "OR" -> "US"
	postalAU     map[string]bool
	suffixes     []string
	prefixes     []string
	intro        []string
	tradeWords   map[string]bool
	titles       map[string]bool
	placeNames   map[string]bool // lower-case country and city names
	countryNames map[string]bool // lower-case country names
	joiners      map[string]bool
	streetSuffix []string
	connectors   map[string]bool

	home        string   // the supplier's own country
	ownDomain   string   // the supplier's domain
	ownNames    []string // normalised names of the supplier
	countryCode map[string]int
}

// New compiles the supplier's vocabularies (catalog models and words, products
// not made, custom-work cues) together with the embedded ones.
func New(s *config.Supplier) (*Extractor, error) {
	var ld langData
	var gd geoData
	var wd wordsData
	for _, f := range []struct {
		name string
		v    any
	}{{"data/lang.toml", &ld}, {"data/geo.toml", &gd}, {"data/words.toml", &wd}} {
		b, err := dataFS.ReadFile(f.name)
		if err != nil {
			return nil, err
		}
		if err := toml.Unmarshal(b, f.v); err != nil {
			return nil, fmt.Errorf("extract: %s: %w", f.name, err)
		}
	}
	x := &Extractor{d: newDict(), countryCode: map[string]int{}}
	d := x.d

	// Catalog.
	x.products = append([]config.Product(nil), s.Products...)
	x.hasContext = make([]bool, len(x.products))
	prefix := commonPrefix(x.products)
	for i, p := range x.products {
		for _, v := range modelVariants(p.Model, prefix) {
			k := kModel
			if v.listOnly {
				k = kModelList
			}
			d.add(v.text, entry{kind: k, val: i, plural: true})
		}
		for _, w := range p.Words {
			d.add(w, entry{kind: kWord, val: i})
		}
		for _, w := range p.Context {
			d.add(w, entry{kind: kContext, val: i})
		}
		x.hasContext[i] = len(p.Context) > 0
	}
	for i, p := range s.NotMade {
		name := p.Model
		if name == "" {
			name = p.Name
		}
		x.notMade = append(x.notMade, name)
		for _, w := range p.Words {
			d.add(w, entry{kind: kNotMade, val: i})
		}
	}
	for _, c := range s.Custom {
		cu := cue{name: c.Name}
		for _, w := range c.Words {
			var alt []int
			for _, part := range strings.Split(w, "&&") {
				if strings.TrimSpace(part) == "" {
					continue
				}
				d.add(part, entry{kind: kCustom, val: x.nParts})
				alt = append(alt, x.nParts)
				x.nParts++
			}
			if len(alt) > 0 {
				cu.alts = append(cu.alts, alt)
			}
		}
		x.cues = append(x.cues, cu)
	}

	// Quantities.
	q := &wd.Quantity
	addAll(d, q.Units, kUnit)
	addAll(d, q.SampleUnits, kSampleUnit)
	addAll(d, q.Samples, kSample)
	addAll(d, q.SampleOne, kSampleOne)
	addAll(d, q.Each, kEach)
	addAll(d, q.NotOrder, kNotOrder)
	addAll(d, q.Per, kPer)
	addAll(d, wd.Containers.Words, kContainer)
	for w, n := range q.Numbers {
		d.add(w, entry{kind: kNumWord, val: n})
	}
	x.articles = map[string]bool{}
	for _, a := range q.Articles {
		x.articles[lower(a)] = true
	}

	// Terms.
	for i, t := range wd.Terms.Incoterms {
		x.incoterms = append(x.incoterms, t)
		d.add(t, entry{kind: kIncoterm, val: i})
	}
	x.anyCase = setOf(wd.Terms.AnyCase, false)
	addAll(d, wd.Terms.Meaning, kMeaning)
	addAll(d, wd.Terms.Target, kTarget)
	for _, w := range sortedKeys(wd.Terms.Currencies) {
		d.add(w, entry{kind: kCurrency, val: len(x.currencies)})
		x.currencies = append(x.currencies, wd.Terms.Currencies[w])
	}
	for _, name := range sortedKeys(wd.Payment) {
		for _, w := range wd.Payment[name] {
			d.add(w, entry{kind: kPayment, val: len(x.payments)})
		}
		x.payments = append(x.payments, name)
	}
	addAll(d, wd.Delivery.Cues, kDeliveryCue)
	addAll(d, wd.Delivery.Days, kDays)
	addAll(d, wd.Delivery.Weeks, kWeeks)
	addAll(d, wd.Delivery.Within, kWithin)
	for w, n := range wd.Delivery.Months {
		d.add(w, entry{kind: kMonth, val: n})
	}

	// Places.
	x.placeNames = map[string]bool{}
	x.countryNames = map[string]bool{}
	for _, ws := range gd.Countries {
		for _, w := range ws {
			x.placeNames[strings.ToLower(w)] = true
			x.countryNames[strings.ToLower(w)] = true
		}
	}
	for _, ws := range gd.Cities {
		for _, w := range ws {
			x.placeNames[strings.ToLower(w)] = true
		}
	}
	for _, c := range sortedKeys(gd.Countries) {
		x.countryCode[c] = len(x.countries)
		x.countries = append(x.countries, c)
		for _, w := range gd.Countries[c] {
			d.add(w, entry{kind: kCountry, val: x.countryCode[c]})
		}
	}
	for _, c := range sortedKeys(gd.Cities) {
		i, ok := x.countryCode[c]
		if !ok {
			i = len(x.countries)
			x.countryCode[c] = i
			x.countries = append(x.countries, c)
		}
		for _, w := range gd.Cities[c] {
			d.add(w, entry{kind: kCity, val: i})
		}
	}
	x.phone = gd.Phone
	x.freeMail = gd.FreeMail
	x.vanity = map[string]bool{}
	for _, t := range gd.VanityTLDs {
		x.vanity[t] = true
	}
	x.postal = map[string]string{}
	x.postalAU = map[string]bool{}
	for _, c := range []string{"CA", "US"} { // US last: it wins shared codes
		for _, st := range gd.Postal[c] {
			x.postal[st] = c
		}
	}
	for _, st := range gd.Postal["AU"] {
		x.postalAU[st] = true
	}

	// Identity.
	id := &wd.Identity
	x.suffixes = append([]string(nil), id.Suffixes...)
	sort.SliceStable(x.suffixes, func(i, j int) bool { return len(x.suffixes[i]) > len(x.suffixes[j]) })
	x.prefixes = id.Prefixes
	for i, w := range x.suffixes {
		d.add(w, entry{kind: kSuffix, val: i})
	}
	for i, w := range x.prefixes {
		d.add(w, entry{kind: kPrefix, val: i})
	}
	for i, w := range id.Introducers {
		x.intro = append(x.intro, lower(w))
		d.add(w, entry{kind: kIntro, val: i})
	}
	x.tradeWords = setOf(id.TradeWords, false)
	x.titles = setOf(id.Titles, true)
	x.connectors = setOf(id.Connectors, true)
	x.joiners = setOf(id.Joiners, true)
	addAll(d, id.Street, kStreet)
	x.streetSuffix = id.StreetSuffix
	addAll(d, id.Phone, kPhoneCue)

	// Languages.
	x.minShare = ld.MinShare
	x.stop = map[string]uint32{}
	x.letters = map[rune]int{}
	x.langs = sortedKeys(ld.Stopwords)
	for i, l := range x.langs {
		for _, w := range ld.Stopwords[l] {
			x.stop[lower(w)] |= 1 << uint(i)
			x.maxStop = max(x.maxStop, len(lower(w)))
		}
		for _, r := range ld.Letters[l] {
			x.letters[r] = i
		}
	}
	x.langCountry = ld.Country
	x.letterBit = new([0x10000 / 64]uint64)
	for r := range x.letters {
		if r < 0x10000 {
			x.letterBit[r/64] |= 1 << (r % 64)
		}
	}

	// The supplier itself.
	x.ownDomain = strings.ToLower(s.Domain)
	for _, n := range []string{s.Name, s.LocalName, s.Domain} {
		if k := normName(n); len(k) > 3 {
			x.ownNames = append(x.ownNames, k)
		}
	}
	if lab := domainLabel(s.Domain); len(lab) > 3 {
		x.ownNames = append(x.ownNames, normName(lab))
	}
	d.build()
	if s.Address != "" {
		best := -1
		for _, m := range d.scan(lower(s.Address), nil) {
			if m.e.kind == kCountry {
				best = m.e.val
			}
		}
		if best >= 0 {
			x.home = x.countries[best]
		}
	}
	return x, nil
}

func addAll(d *dict, words []string, k kind) {
	for _, w := range words {
		d.add(w, entry{kind: k})
	}
}

func setOf(ws []string, fold bool) map[string]bool {
	m := map[string]bool{}
	for _, w := range ws {
		if fold {
			w = strings.ToLower(w)
		}
		m[w] = true
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// doc is one message prepared for extraction: the subject, the new text and
// the signature joined by blank lines, its lower-cased twin and the words
// found in it.
type doc struct {
	orig, low          string
	textStart, sigFrom int // offsets of the new text and of the signature
	textEnd            int
	ms                 []match
	byKind             [nKinds][]int // indexes into ms
	sentStarts         []int
	sentKinds          [nKinds]map[int]bool
	nums               []num // numbers written in digits
	lineStarts         []int
	m                  *decode.Message
	msBuf              *[]match // from matchPool, given back by Extract
}

// matchPool recycles the match lists of docs: Fields keep nothing of them.
var matchPool = sync.Pool{New: func() any { return new([]match) }}

// release gives the doc's match list back to matchPool; dc is unusable
// after.
func (dc *doc) release() {
	if cap(dc.ms) <= 1<<14 {
		*dc.msBuf = dc.ms[:0]
		matchPool.Put(dc.msBuf)
	}
	dc.ms = nil
}

// Inquiries are short: only so much of a message is read, which bounds the
// work on a huge one.
const (
	maxSubject   = 1 << 10
	maxText      = 32 << 10
	maxSignature = 4 << 10
	// maxItems bounds the figures, mentions and names weighed, so that a
	// text repeating one cue thousands of times stays cheap.
	maxItems = 300
)

// clip cuts s to at most n bytes at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (x *Extractor) newDoc(m *decode.Message) *doc {
	var b strings.Builder
	subj := strings.ReplaceAll(clip(m.Subject, maxSubject), "\n", " ")
	text, sig := clip(m.Text, maxText), clip(m.Signature, maxSignature)
	b.Grow(len(subj) + len(text) + len(sig) + 4)
	b.WriteString(subj)
	b.WriteString("\n\n")
	dc := &doc{m: m, textStart: b.Len()}
	b.WriteString(text)
	dc.textEnd = b.Len()
	b.WriteString("\n\n")
	dc.sigFrom = b.Len()
	b.WriteString(sig)
	dc.orig = b.String()
	dc.low = lower(dc.orig)
	dc.msBuf = matchPool.Get().(*[]match)
	ms := (*dc.msBuf)[:0]
	if need := 16 + len(dc.low)/16; cap(ms) < need {
		ms = make([]match, 0, need)
	}
	dc.ms = x.d.scan(dc.low, ms)
	// By start, the longest first.
	slices.SortStableFunc(dc.ms, func(a, b match) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	for i := range dc.ms {
		k := dc.ms[i].e.kind
		dc.byKind[k] = append(dc.byKind[k], i)
	}
	dc.split()
	dc.nums = scanNumbers(dc.low)
	if len(dc.nums) > maxItems {
		dc.nums = dc.nums[:maxItems]
	}
	return dc
}

// split finds line and sentence starts.
func (dc *doc) split() {
	s := dc.low
	dc.lineStarts = append(dc.lineStarts, 0)
	dc.sentStarts = append(dc.sentStarts, 0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\n':
			dc.lineStarts = append(dc.lineStarts, i+1)
			dc.sentStarts = append(dc.sentStarts, i+1)
		case '.', '!', '?', ';':
			if i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\n') {
				// "ca. 300" and "Co. Ltd" do not end a sentence, nor does
				// a single letter ("J. Smith").
				if c == '.' && i >= 1 && isShortAbbrev(s, i) {
					continue
				}
				dc.sentStarts = append(dc.sentStarts, i+1)
			}
		default:
			if c >= 0xe0 && i+2 < len(s) {
				// 。！？ (E3 80 82, EF BC 81, EF BC 9F)
				if s[i] == 0xe3 && s[i+1] == 0x80 && s[i+2] == 0x82 ||
					s[i] == 0xef && s[i+1] == 0xbc && (s[i+2] == 0x81 || s[i+2] == 0x9f) {
					dc.sentStarts = append(dc.sentStarts, i+3)
				}
			}
		}
	}
}

func isShortAbbrev(s string, dot int) bool {
	j := dot
	for j > 0 && s[j-1] >= 'a' && s[j-1] <= 'z' {
		j--
	}
	n := dot - j
	return n >= 1 && n <= 2 && (j == 0 || s[j-1] == ' ' || s[j-1] == '(')
}

func (dc *doc) sentence(pos int) int {
	return sort.SearchInts(dc.sentStarts, pos+1) - 1
}

func (dc *doc) line(pos int) int {
	return sort.SearchInts(dc.lineStarts, pos+1) - 1
}

// sentHas reports whether the sentence at pos holds a word of kind k.
func (dc *doc) sentHas(pos int, k kind) bool {
	if dc.sentKinds[k] == nil {
		set := map[int]bool{}
		for _, i := range dc.byKind[k] {
			set[dc.sentence(dc.ms[i].start)] = true
		}
		dc.sentKinds[k] = set
	}
	return dc.sentKinds[k][dc.sentence(pos)]
}

// endingBefore returns the last match of kind k ending at or before pos
// within gap bytes, or nil.
func (dc *doc) endingBefore(pos, gap int, k kind) *match {
	ix := dc.byKind[k]
	j := sort.Search(len(ix), func(j int) bool { return dc.ms[ix[j]].start >= pos })
	var best *match
	for j--; j >= 0 && pos-dc.ms[ix[j]].start <= gap+64; j-- {
		m := &dc.ms[ix[j]]
		if m.end <= pos && pos-m.end <= gap && (best == nil || m.end > best.end) {
			best = m
		}
	}
	return best
}

// at returns the first match of kind k starting at pos, or nil.
func (dc *doc) at(pos int, k kind) *match {
	ix := dc.byKind[k]
	j := sort.Search(len(ix), func(j int) bool { return dc.ms[ix[j]].start >= pos })
	if j < len(ix) && dc.ms[ix[j]].start == pos {
		return &dc.ms[ix[j]]
	}
	return nil
}

// Extract reads the fields of one message. It never fails: what it cannot
// find stays zero.
func (x *Extractor) Extract(m *decode.Message) Fields {
	var f Fields
	if m == nil {
		return f
	}
	dc := x.newDoc(m)
	defer dc.release()
	mods := x.models(dc, &f)
	x.quantity(dc, mods, &f)
	x.terms(dc, mods, &f)
	x.custom(dc, &f)
	x.identity(dc, &f)
	f.Language = x.language(dc)
	x.country(dc, &f)
	if f.Models == nil {
		f.Models = []string{}
	}
	return f
}
