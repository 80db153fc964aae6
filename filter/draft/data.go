package draft

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/extract"
	"github.com/tradesift/tradesift/filter/judge"
)

// Data is what a template sees. Everything in it is data: text the buyer
// wrote reaches the draft as it is, never as template code.
type Data struct {
	Lang      string // language of the template in use
	Plan      string
	BuyerType string
	Now       time.Time

	Verdict  judge.Verdict
	Fields   extract.Fields // the buyer's identity fields cut to 200 characters
	Supplier config.Supplier
	Rep      config.Rep
	Inquiry  Inquiry

	// Buyer is the name to greet: the contact person, else the sender's
	// display name; "" when unknown.
	Buyer string

	// Asked are the catalog lines the inquiry names, in its order; Catalog
	// is the whole catalog.
	Asked   []config.Product
	Catalog []config.Product

	// Why a plan applies, for the templates that must say it.
	OutOfSeason  []config.Product // not-selling-now: outside the season today
	Restricted   []config.Product // not-selling-now: not sold to the buyer's country
	Embargoed    bool             // not-selling-now: no sales at all to the country
	NotMade      []string         // cannot-fulfil: products outside our range
	OverCapacity []config.Product // cannot-fulfil: quantity above a month's capacity
	BelowFloor   []config.Product // cannot-fulfil: target price under our floor
	TooFast      bool             // need-time: delivery asked under our lead time
	// Alternatives are catalog lines we can offer instead: not asked
	// for, in season and sold to the buyer's country.
	Alternatives []config.Product

	// ReplyBy is the time need-time promises the full answer for: the
	// second working day from now, 18:00 in the supplier's time zone.
	ReplyBy time.Time

	tmpl *template.Template // the set rendering this data, for Name and Word
}

// Inquiry is the buyer's message as the templates see it.
type Inquiry struct {
	Subject   string
	FromName  string
	FromAddr  string
	Date      time.Time
	HasDate   bool
	MessageID string
}

// SupplierZone is the supplier's time zone for promised times (China has
// no daylight saving time).
var SupplierZone = time.FixedZone("UTC+8", 8*3600)

const maxField = 200

func newData(m *decode.Message, v judge.Verdict, sup *config.Supplier, rep config.Rep, now time.Time) *Data {
	f := v.Fields
	for _, p := range []*string{&f.Company, &f.Contact, &f.Address, &f.Phone, &f.Website, &f.Country, &f.Incoterm, &f.Currency, &f.TargetPriceModel} {
		*p = truncRunes(clean(*p), maxField)
	}
	d := &Data{
		Plan:      v.ReplyPlan,
		BuyerType: v.BuyerType,
		Now:       now,
		Verdict:   v,
		Fields:    f,
		Supplier:  *sup,
		Rep:       rep,
		Catalog:   sup.Products,
		NotMade:   f.OtherProducts,
	}
	d.Verdict.Fields = f
	if m != nil {
		d.Inquiry = Inquiry{
			Subject:   truncRunes(clean(m.Subject), maxField),
			FromName:  truncRunes(clean(m.From.Name), maxField),
			FromAddr:  truncRunes(clean(m.From.Addr), maxField),
			Date:      m.Date,
			HasDate:   m.HasDate,
			MessageID: m.MessageID,
		}
	}
	d.Buyer = f.Contact
	if d.Buyer == "" {
		d.Buyer = d.Inquiry.FromName
	}
	if strings.Contains(d.Buyer, "@") {
		d.Buyer = ""
	}
	for _, model := range f.Models {
		if p := productByModel(sup, model); p != nil {
			d.Asked = append(d.Asked, *p)
		}
	}
	country := strings.ToUpper(f.Country)
	for _, c := range sup.Embargoed {
		if country != "" && strings.EqualFold(c, country) {
			d.Embargoed = true
		}
	}
	for _, p := range d.Asked {
		if !p.InSeason(now) {
			d.OutOfSeason = append(d.OutOfSeason, p)
		}
		for _, c := range p.Restricted {
			if country != "" && strings.EqualFold(c, country) {
				d.Restricted = append(d.Restricted, p)
			}
		}
		q := 0
		if n, ok := f.ModelQuantity[p.Model]; ok {
			q = n
		} else if f.Quantity != nil && len(d.Asked) == 1 {
			q = *f.Quantity
		}
		if p.CapacityMonth > 0 && q > p.CapacityMonth {
			d.OverCapacity = append(d.OverCapacity, p)
		}
		if f.TargetPrice != nil && p.Floor > 0 && *f.TargetPrice < p.Floor &&
			(f.TargetPriceModel == "" && len(d.Asked) == 1 || strings.EqualFold(f.TargetPriceModel, p.Model)) {
			d.BelowFloor = append(d.BelowFloor, p)
		}
	}
	for _, p := range sup.Products {
		if contains(f.Models, p.Model) || !p.InSeason(now) || containsFold(p.Restricted, country) {
			continue
		}
		d.Alternatives = append(d.Alternatives, p)
	}
	if f.DeliveryDays != nil && sup.LeadTimeMinDays > 0 && *f.DeliveryDays < sup.LeadTimeMinDays {
		d.TooFast = true
	}
	d.ReplyBy = replyBy(now)
	return d
}

// replyBy is 18:00 supplier time on the second working day after now.
func replyBy(now time.Time) time.Time {
	t := now.In(SupplierZone)
	days := 0
	for days < 2 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days++
		}
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 18, 0, 0, 0, SupplierZone)
}

func productByModel(sup *config.Supplier, model string) *config.Product {
	for i := range sup.Products {
		if strings.EqualFold(sup.Products[i].Model, model) {
			return &sup.Products[i]
		}
	}
	return nil
}

// Name is a catalog line's name in the language: the template
// "product MODEL" of the language's set (common.LANG.tmpl), else the name
// from the configuration.
func (d *Data) Name(p config.Product) string {
	if s := d.lookupWord("product " + p.Model); s != "" {
		return s
	}
	return p.Name
}

// Word is the language's word for key, e.g. a product we do not make
// ("hoverboard"): the template "word KEY", else key itself.
func (d *Data) Word(key string) string {
	if s := d.lookupWord("word " + key); s != "" {
		return s
	}
	return key
}

// Words joins Word of every key with the language's list separator.
func (d *Data) Words(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = d.Word(k)
	}
	if d.Lang == "ar" {
		return strings.Join(out, "، ")
	}
	return strings.Join(out, ", ")
}

func (d *Data) lookupWord(name string) string {
	if d.tmpl == nil {
		return ""
	}
	t := d.tmpl.Lookup(name)
	if t == nil {
		return ""
	}
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return ""
	}
	return strings.TrimSpace(b.String())
}

// Product returns the catalog line of model, or nil.
func (d *Data) Product(model string) *config.Product {
	return productByModel(&d.Supplier, model)
}

// Signal reports whether the verdict carries the named signal.
func (d *Data) Signal(name string) bool {
	for _, s := range d.Verdict.Signals {
		if s.Name == name {
			return true
		}
	}
	return false
}

// Qty returns the quantity asked for model (or the total when the inquiry
// names one model), 0 when unknown.
func (d *Data) Qty(model string) int {
	if n, ok := d.Fields.ModelQuantity[model]; ok {
		return n
	}
	if d.Fields.Quantity != nil && len(d.Asked) <= 1 {
		return *d.Fields.Quantity
	}
	return 0
}

// Num formats an integer with the language's digit grouping.
func (d *Data) Num(n int) string {
	s := strconv.Itoa(abs(n))
	sep := ","
	switch d.Lang {
	case "fr", "ru":
		sep = "\u00a0"
	case "es", "pt":
		sep = "."
	}
	if d.Lang == "es" && len(s) <= 4 {
		sep = "" // RAE: no separator in four-digit numbers
	}
	var b strings.Builder
	if n < 0 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Money formats an amount with two decimals in the language's style.
func (d *Data) Money(v float64) string {
	whole := int(math.Floor(v))
	cents := int(math.Round((v - float64(whole)) * 100))
	if cents == 100 {
		whole, cents = whole+1, 0
	}
	dec := "."
	switch d.Lang {
	case "fr", "ru", "es", "pt":
		dec = ","
	}
	return fmt.Sprintf("%s%s%02d", d.Num(whole), dec, cents)
}

// Price formats a catalog line's price range: "USD 28.00–35.00".
func (d *Data) Price(p config.Product) string {
	cur := d.Supplier.Currency
	if cur == "" {
		cur = "USD"
	}
	if p.PriceMax > p.PriceMin {
		return cur + " " + d.Money(p.PriceMin) + "–" + d.Money(p.PriceMax)
	}
	return cur + " " + d.Money(p.PriceMin)
}

// Containers formats a catalog line's container loads, e.g.
// "760 pcs/20GP, 1,800 pcs/40HQ"; unit is the language's word for pieces.
func (d *Data) Containers(p config.Product, unit string) string {
	var parts []string
	for _, c := range []string{"20GP", "40GP", "40HQ"} {
		if n, ok := p.PerContainer[c]; ok {
			parts = append(parts, d.Num(n)+" "+unit+"/"+c)
		}
	}
	if d.Lang == "ar" {
		return strings.Join(parts, "، ")
	}
	return strings.Join(parts, ", ")
}

// Target is the buyer's target price, "USD 27.00", or "".
func (d *Data) Target() string {
	if d.Fields.TargetPrice == nil {
		return ""
	}
	cur := d.Fields.Currency
	if cur == "" {
		cur = d.Supplier.Currency
	}
	return cur + " " + d.Money(*d.Fields.TargetPrice)
}

// Days is the delivery time the buyer asks for, in days; 0 when none.
func (d *Data) Days() int {
	if d.Fields.DeliveryDays == nil {
		return 0
	}
	return *d.Fields.DeliveryDays
}

// Season formats a product's order window in the language, e.g.
// "1 March – 31 July"; "" when the product has none.
func (d *Data) Season(p config.Product) string {
	a, err1 := time.Parse("01-02", p.SeasonStart)
	b, err2 := time.Parse("01-02", p.SeasonEnd)
	if err1 != nil || err2 != nil {
		return ""
	}
	return d.dayMonth(a) + " – " + d.dayMonth(b)
}

// SeasonOpens is the next date p may be ordered again, "1 March 2027".
func (d *Data) SeasonOpens(p config.Product) string {
	a, err := time.Parse("01-02", p.SeasonStart)
	if err != nil {
		return ""
	}
	t := time.Date(d.Now.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	if !t.After(d.Now) {
		t = t.AddDate(1, 0, 0)
	}
	return d.LongDate(t)
}

var months = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	"pt": {"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"ru": {"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
	"ar": {"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
}

func (d *Data) dayMonth(t time.Time) string {
	m, ok := months[d.Lang]
	if !ok {
		m = months["en"]
	}
	day := strconv.Itoa(t.Day())
	switch d.Lang {
	case "es", "pt":
		return day + " de " + m[t.Month()-1]
	case "fr":
		if t.Day() == 1 {
			day = "1er"
		}
	}
	return day + " " + m[t.Month()-1]
}

// LongDate formats t in the language, "30 November 2026".
func (d *Data) LongDate(t time.Time) string {
	s := d.dayMonth(t)
	if d.Lang == "es" || d.Lang == "pt" {
		return s + " de " + strconv.Itoa(t.Year())
	}
	return s + " " + strconv.Itoa(t.Year())
}

// Colors lists the supplier's standard colours in the language (common
// colour names are translated; others are shown as configured).
func (d *Data) Colors() string {
	out := make([]string, 0, len(d.Supplier.StandardColors))
	for _, c := range d.Supplier.StandardColors {
		if tr, ok := colorNames[strings.ToLower(c)][d.Lang]; ok {
			c = tr
		}
		out = append(out, c)
	}
	sep := ", "
	if d.Lang == "ar" {
		sep = "، "
	}
	return strings.Join(out, sep)
}

var colorNames = map[string]map[string]string{
	"black":  {"es": "negro", "pt": "preto", "fr": "noir", "ru": "чёрный", "ar": "أسود"},
	"white":  {"es": "blanco", "pt": "branco", "fr": "blanc", "ru": "белый", "ar": "أبيض"},
	"red":    {"es": "rojo", "pt": "vermelho", "fr": "rouge", "ru": "красный", "ar": "أحمر"},
	"blue":   {"es": "azul", "pt": "azul", "fr": "bleu", "ru": "синий", "ar": "أزرق"},
	"pink":   {"es": "rosa", "pt": "rosa", "fr": "rose", "ru": "розовый", "ar": "وردي"},
	"green":  {"es": "verde", "pt": "verde", "fr": "vert", "ru": "зелёный", "ar": "أخضر"},
	"grey":   {"es": "gris", "pt": "cinza", "fr": "gris", "ru": "серый", "ar": "رمادي"},
	"gray":   {"es": "gris", "pt": "cinza", "fr": "gris", "ru": "серый", "ar": "رمادي"},
	"yellow": {"es": "amarillo", "pt": "amarelo", "fr": "jaune", "ru": "жёлтый", "ar": "أصفر"},
	"orange": {"es": "naranja", "pt": "laranja", "fr": "orange", "ru": "оранжевый", "ar": "برتقالي"},
	"purple": {"es": "morado", "pt": "roxo", "fr": "violet", "ru": "фиолетовый", "ar": "بنفسجي"},
	"silver": {"es": "plateado", "pt": "prateado", "fr": "argent", "ru": "серебристый", "ar": "فضي"},
}

// Date formats t as 2006-01-02.
func (d *Data) Date(t time.Time) string { return t.Format("2006-01-02") }

// DateTime formats t as "2006-01-02 15:04 (UTC+8)" in the supplier's zone.
func (d *Data) DateTime(t time.Time) string {
	return t.In(SupplierZone).Format("2006-01-02 15:04") + " (UTC+8)"
}

// ReSubject is the inquiry's subject with one "Re: " in front.
func (d *Data) ReSubject() string {
	s := strings.TrimSpace(d.Inquiry.Subject)
	low := strings.ToLower(s)
	if strings.HasPrefix(low, "re:") || strings.HasPrefix(low, "re :") {
		return s
	}
	return "Re: " + s
}

// funcs are the template functions; formatting that depends on the
// language is a method of Data instead.
var funcs = template.FuncMap{
	// blank marks text the rep must replace: [[text]].
	"blank": func(s string) string { return "[[" + s + "]]" },
	"join":  func(l []string, sep string) string { return strings.Join(l, sep) },
	"deref": func(p any) any {
		switch v := p.(type) {
		case *int:
			if v == nil {
				return 0
			}
			return *v
		case *float64:
			if v == nil {
				return 0.0
			}
			return *v
		}
		return p
	},
	"add": func(a, b int) int { return a + b },
	// dot ends a sentence with s: "S.L." stays, "GmbH" gets a period.
	"dot": func(s string) string {
		if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
			return s
		}
		return s + "."
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// clean removes control characters (CR, LF, NUL …) and collapses runs of
// white space, so a value is safe in a header or on one line.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\ufffd")
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == ' ' || r == '\u00a0' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// truncRunes cuts s to n runes, marking the cut with "…".
func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if s != "" && strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
