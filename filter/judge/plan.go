package judge

import (
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/extract"
)

// plan applies the profile's reply-plan rules in order; the first that
// applies wins. The reasons say which facts decided it ("plan:season" ...).
func (j *Judge) plan(m *decode.Message, f extract.Fields, bt string, ev evidence) (string, []Signal) {
	// 1. guarded
	if bt == IntelProbe {
		return PlanGuarded, nil
	}
	// 2. not-selling-now
	if r := j.notSellingNow(m, f); r != "" {
		return PlanNotSellingNow, []Signal{{Name: r}}
	}
	// 3. cannot-fulfil
	if r := j.cannotFulfil(f); r != "" {
		return PlanCannotFulfil, []Signal{{Name: r}}
	}
	// 4. sample-terms
	if bt == SampleSeeking {
		return PlanSampleTerms, nil
	}
	// 5. counter-inquiry
	if !identityComplete(f) {
		if f.Company == "" {
			return PlanCounterInquiry, []Signal{{Name: "plan:no-company"}}
		}
		return PlanCounterInquiry, []Signal{{Name: "plan:no-contact-details"}}
	}
	// 6. not-urgent: research, budgeting, or a purchase 3+ months away. A
	// sourcing buyer executes a purchase now; its dates are shipment dates.
	if bt != Sourcing {
		if name, ok := ev.plans[PlanNotUrgent]; ok {
			return PlanNotUrgent, []Signal{{Name: "plan:" + name}}
		}
		if m.HasDate {
			if d, ok := purchaseHorizon(ev.norm, m.Date); ok && d >= j.rules.Threshold.HorizonDays {
				return PlanNotUrgent, []Signal{{Name: "plan:purchase-later", Weight: float64(d)}}
			}
		}
	}
	// 7. need-time: custom work, or faster than our lead time.
	if name, ok := ev.plans[PlanNeedTime]; ok {
		return PlanNeedTime, []Signal{{Name: "plan:" + name}}
	}
	if f.DeliveryDays != nil && j.sup.LeadTimeMinDays > 0 && *f.DeliveryDays < j.sup.LeadTimeMinDays {
		return PlanNeedTime, []Signal{{Name: "plan:rush-delivery", Weight: float64(*f.DeliveryDays)}}
	}
	return PlanQuote, nil
}

// notSellingNow: embargoed market, product out of season on the Date, or
// the buyer's market restricted for the product.
func (j *Judge) notSellingNow(m *decode.Message, f extract.Fields) string {
	country := strings.ToUpper(f.Country)
	for _, c := range j.sup.Embargoed {
		if country != "" && strings.EqualFold(c, country) {
			return "plan:embargoed"
		}
	}
	for _, model := range f.Models {
		p := j.products[strings.ToLower(model)]
		if p == nil {
			continue
		}
		if m.HasDate && !p.InSeason(m.Date) {
			return "plan:season"
		}
		for _, c := range p.Restricted {
			if country != "" && strings.EqualFold(c, country) {
				return "plan:restricted-market"
			}
		}
	}
	return ""
}

// cannotFulfil: a product we do not make (and none we do), a quantity above
// the monthly capacity, or a target price below the floor.
func (j *Judge) cannotFulfil(f extract.Fields) string {
	if len(f.OtherProducts) > 0 && len(f.ModelQuantity) == 0 {
		return "plan:not-in-range"
	}
	for model, q := range f.ModelQuantity {
		if p := j.products[strings.ToLower(model)]; p != nil && p.CapacityMonth > 0 && q > p.CapacityMonth {
			return "plan:over-capacity"
		}
	}
	if len(f.ModelQuantity) == 0 && len(f.Models) == 1 && f.Quantity != nil {
		if p := j.products[strings.ToLower(f.Models[0])]; p != nil && p.CapacityMonth > 0 && *f.Quantity > p.CapacityMonth {
			return "plan:over-capacity"
		}
	}
	if f.TargetPrice != nil && (f.Currency == "" || strings.EqualFold(f.Currency, j.currency())) {
		model := f.TargetPriceModel
		if model == "" && len(f.Models) == 1 {
			model = f.Models[0]
		}
		if p := j.products[strings.ToLower(model)]; p != nil && p.Floor > 0 && *f.TargetPrice < p.Floor {
			return "plan:below-floor"
		}
	}
	return ""
}

func (j *Judge) currency() string {
	if j.sup.Currency != "" {
		return j.sup.Currency
	}
	return "USD"
}

// months maps month names (any of our languages, normalised) to 1..12.
var months = map[string]int{}

// monthStems are matched as prefixes (inflected languages).
var monthStems = map[string]int{}

func init() {
	full := [][]string{
		{"january", "enero", "janeiro", "janvier", "januar", "gennaio", "januari", "ocak", "styczen", "stycznia", "يناير", "كانون الثاني"},
		{"february", "febrero", "fevereiro", "fevrier", "februar", "febbraio", "februari", "subat", "luty", "lutego", "فبراير", "شباط"},
		{"march", "marzo", "marco", "mars", "marz", "maart", "mart", "marzec", "marca", "مارس", "اذار"},
		{"april", "abril", "avril", "aprile", "nisan", "kwiecien", "kwietnia", "ابريل", "نيسان"},
		{"may", "mayo", "maio", "mai", "maggio", "mei", "mayis", "maj", "maja", "مايو", "ايار"},
		{"june", "junio", "junho", "juin", "juni", "giugno", "haziran", "czerwiec", "czerwca", "يونيو", "حزيران"},
		{"july", "julio", "julho", "juillet", "juli", "luglio", "temmuz", "lipiec", "lipca", "يوليو", "تموز"},
		{"august", "agosto", "aout", "augustus", "agustos", "sierpien", "sierpnia", "اغسطس", "اب"},
		{"september", "septiembre", "setembro", "septembre", "settembre", "eylul", "wrzesien", "wrzesnia", "سبتمبر", "ايلول"},
		{"october", "octubre", "outubro", "octobre", "oktober", "ottobre", "ekim", "pazdziernik", "pazdziernika", "اكتوبر", "تشرين الاول"},
		{"november", "noviembre", "novembro", "novembre", "kasim", "listopad", "listopada", "نوفمبر", "تشرين الثاني"},
		{"december", "diciembre", "dezembro", "decembre", "dezember", "dicembre", "aralik", "grudzien", "grudnia", "ديسمبر", "كانون الاول"},
	}
	for i, names := range full {
		for _, n := range names {
			months[normalize(n)] = i + 1
		}
	}
	for i, s := range []string{"январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр"} {
		monthStems[s] = i + 1
	}
}

// connectors may stand between a month and its year ("marzo de 2026").
var connectors = map[string]bool{"de": true, "of": true, "del": true, "do": true, "da": true, "du": true, "di": true, "года": true, "г": true}

// lateWords put a bare year's date near its end ("end of 2026").
var lateWords = map[string]bool{"end": true, "late": true, "fin": true, "finales": true, "final": true, "fim": true, "ende": true,
	"fine": true, "конец": true, "конце": true, "sonu": true, "sonunda": true, "koniec": true, "koncu": true, "نهاية": true, "eind": true}

// cjkMonthsLater is "6个月后", "3ヶ月後", "6개월 후".
var cjkMonthsLater = regexp.MustCompile(`(\d{1,2})\s*(?:个月|ヶ月|か月|カ月|개월)\s*(?:以?后|之后|後|후|뒤)`)

// cjkMonth is "2026年3月", "2026年 3 月", "2026년 3월".
var cjkMonth = regexp.MustCompile(`(20\d\d)\s*[年년]\s*(\d{1,2})\s*[月월]`)

// cjkMatches is re's submatches in text, none when has is false.
func cjkMatches(has bool, re *regexp.Regexp, text string) [][]string {
	if !has {
		return nil
	}
	return re.FindAllStringSubmatch(text, -1)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func isQuarter(t string) bool { return len(t) == 2 && t[0] == 'q' && t[1] >= '1' && t[1] <= '4' }

func monthOf(tok string) int {
	if n := months[tok]; n > 0 {
		return n
	}
	for s, n := range monthStems {
		if strings.HasPrefix(tok, s) && (s != "ма" || tok == "май" || tok == "мая" || tok == "мае") {
			return n
		}
	}
	return 0
}

// purchaseHorizon finds the earliest future month or quarter the text
// names ("March 2026", "Q3 2026", "2026年3月", "end of 2026", a bare future
// year) and returns the days from now to it.
func purchaseHorizon(text string, now time.Time) (int, bool) {
	toks := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var best time.Time
	consider := func(y, mo, d int) {
		if y < now.Year() || y > now.Year()+5 || mo < 1 || mo > 12 {
			return
		}
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, now.Location())
		if t.Before(now) {
			return
		}
		if best.IsZero() || t.Before(best) {
			best = t
		}
	}
	year := func(s string) int {
		if len(s) == 4 && (strings.HasPrefix(s, "20")) {
			n := 0
			for _, c := range s {
				if c < '0' || c > '9' {
					return 0
				}
				n = n*10 + int(c-'0')
			}
			return n
		}
		return 0
	}
	// Both CJK patterns need a month sign; most texts have none.
	cjk := strings.ContainsAny(text, "月월")
	for _, sm := range cjkMatches(cjk, cjkMonthsLater, text) {
		if n := atoi(sm[1]); n >= 1 && n <= 36 {
			if d := now.AddDate(0, n, 0); best.IsZero() || d.Before(best) {
				best = d
			}
		}
	}
	for _, sm := range cjkMatches(cjk, cjkMonth, text) {
		y, mo := atoi(sm[1]), atoi(sm[2])
		consider(y, mo, 15)
	}
	for i, t := range toks {
		// "in 6 months", "dans 4 mois", "через 6 месяцев", "6个月后".
		if n := atoi(t); n >= 1 && n <= 36 && i+1 < len(toks) && monthUnit(toks[i+1]) {
			if i > 0 && inWords[toks[i-1]] || i+2 < len(toks) && laterWords[toks[i+2]] || cjkLater(toks[i+1]) {
				d := now.AddDate(0, n, 0)
				if best.IsZero() || d.Before(best) {
					best = d
				}
			}
		}
		y := year(t)
		if y == 0 {
			// "q3"
			if isQuarter(t) && i+1 < len(toks) {
				if y2 := year(toks[i+1]); y2 > 0 {
					consider(y2, int(t[1]-'0')*3-2, 1)
				}
			}
			continue
		}
		// Month in the two tokens before (March 2026, de marzo de 2026).
		found := false
		if i > 0 {
			if mo := monthOf(toks[i-1]); mo > 0 {
				consider(y, mo, 15)
				found = true
			} else if i > 1 && connectors[toks[i-1]] {
				if mo := monthOf(toks[i-2]); mo > 0 {
					consider(y, mo, 15)
					found = true
				}
			}
		}
		if !found && i > 0 && isQuarter(toks[i-1]) {
			found = true // handled at the quarter
		}
		if !found && i > 0 && (lateWords[toks[i-1]] || i > 1 && connectors[toks[i-1]] && lateWords[toks[i-2]]) {
			consider(y, 10, 1)
			found = true
		}
		if !found && i+1 < len(toks) {
			if mo := monthOf(toks[i+1]); mo > 0 { // 2026 March, 2026 mart
				consider(y, mo, 15)
				found = true
			}
		}
		if !found && y > now.Year() {
			consider(y, 1, 15)
		}
	}
	if best.IsZero() {
		return 0, false
	}
	return int(best.Sub(now).Hours() / 24), true
}

// inWords stand before "N months" that lie ahead ("in 6 months").
var inWords = map[string]bool{"in": true, "en": true, "em": true, "dans": true, "tra": true, "fra": true, "через": true, "za": true,
	"within": true, "binnen": true}

// laterWords stand after "N months" that lie ahead ("6 months from now").
var laterWords = map[string]bool{"later": true, "from": true, "sonra": true, "spater": true, "despues": true, "depois": true,
	"plus": true, "dopo": true, "后": true, "後": true, "بعد": true}

func monthUnit(t string) bool {
	switch t {
	case "month", "months", "mes", "meses", "mois", "monat", "monate", "monaten", "mese", "mesi", "ay", "miesiace", "miesiecy",
		"miesiac", "maanden", "اشهر", "شهور", "个月", "ヶ月", "か月", "カ月", "개월":
		return true
	}
	for _, u := range []string{"个月", "ヶ月", "か月", "カ月", "개월"} {
		if strings.HasPrefix(t, u) {
			return true
		}
	}
	return strings.HasPrefix(t, "месяц")
}

// cjkLater: "个月后", "ヶ月後", "개월 후" glued to the unit.
func cjkLater(t string) bool {
	return strings.ContainsAny(t, "后後") && !strings.HasPrefix(t, "месяц")
}
