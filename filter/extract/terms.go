package extract

import (
	"strings"
	"time"
)

// terms finds the Incoterm, payment terms, target price and wanted delivery.
func (x *Extractor) terms(dc *doc, mi *modelInfo, f *Fields) {
	s := dc.low
	// Incoterm: the first one written in capitals that is not only asked
	// about ("what does FOB mean?"), nor a Spanish tax number ("CIF: B123").
	for _, i := range dc.byKind[kIncoterm] {
		m := &dc.ms[i]
		if w := dc.orig[m.start:m.end]; w != strings.ToUpper(w) && !x.anyCase[x.incoterms[m.e.val]] {
			continue
		}
		if j := m.end; j+1 < len(s) && (s[j] == ':' || s[j] == '/') && isWordRune(rune(s[skipSp(s, j+1)])) {
			continue
		}
		if dc.sentHas(m.start, kMeaning) {
			continue
		}
		f.Incoterm = x.incoterms[m.e.val]
		break
	}
	// Payment terms, each once, in order; short forms only in capitals.
	seen := map[int]bool{}
	for _, i := range dc.byKind[kPayment] {
		m := &dc.ms[i]
		w := dc.orig[m.start:m.end]
		if len(w) <= 3 && w != strings.ToUpper(w) {
			continue
		}
		if !seen[m.e.val] {
			seen[m.e.val] = true
			f.Payment = append(f.Payment, x.payments[m.e.val])
		}
	}
	x.targetPrice(dc, mi, f)
	x.delivery(dc, f)
}

// targetPrice finds an amount with a currency in a sentence that says it is
// the buyer's target ("Zielpreis 29,00 USD", "we pay USD 30 FOB").
func (x *Extractor) targetPrice(dc *doc, mi *modelInfo, f *Fields) {
	s := dc.low
	nums := dc.nums
	for _, ci := range dc.byKind[kCurrency] {
		c := &dc.ms[ci]
		if !dc.sentHas(c.start, kTarget) {
			continue
		}
		var n *num
		for i := range nums {
			q := &nums[i]
			if q.start >= c.end && skipSp(s, c.end) == q.start || q.end <= c.start && skipSp(s, q.end) == c.start {
				n = q
				break
			}
		}
		if n == nil || n.val <= 0 {
			continue
		}
		v := n.val
		f.TargetPrice = &v
		f.Currency = x.currencies[c.e.val]
		si := dc.sentence(c.start)
		for _, m := range mi.mentions {
			if dc.sentence(m.start) == si {
				f.TargetPriceModel = x.products[m.p].Model
				break
			}
		}
		if f.TargetPriceModel == "" && len(mi.order) == 1 {
			f.TargetPriceModel = x.products[mi.order[0]].Model
		}
		return
	}
}

// delivery finds the wanted delivery time: "within 20 days", "in 3 weeks",
// "no later than July 15, 2025" (counted from the Date header).
func (x *Extractor) delivery(dc *doc, f *Fields) {
	s := dc.low
	nums := dc.nums
	best := -1
	for _, n := range nums {
		if !n.isInt || n.val < 1 || n.val > 365 || !dc.sentHas(n.start, kDeliveryCue) {
			continue
		}
		j := skipSp(s, n.end)
		days := 0
		if u := dc.at(j, kDays); u != nil {
			days = int(n.val)
		} else if u := dc.at(j, kWeeks); u != nil {
			days = int(n.val) * 7
		}
		if days > 0 {
			if best < 0 || days < best {
				best = days
			}
			continue
		}
		if !dc.m.HasDate {
			continue
		}
		if d, ok := x.dateAt(dc, n, nums); ok {
			days := int(d.Sub(dc.m.Date).Hours()/24 + 0.5)
			if days > 0 && days < 400 && (best < 0 || days < best) {
				best = days
			}
		}
	}
	if best > 0 {
		f.DeliveryDays = &best
	}
}

// dateAt reads a date around day figure n: "15 March", "30. Mai 2025",
// "March 15, 2025", "10 décembre 2025".
func (x *Extractor) dateAt(dc *doc, n num, nums []num) (time.Time, bool) {
	s := dc.low
	if n.val > 31 {
		return time.Time{}, false
	}
	month := 0
	after := n.end
	j := n.end
	if j < len(s) && s[j] == '.' {
		j++
	}
	j = skipSp(s, j)
	if m := dc.at(j, kMonth); m != nil {
		month = m.e.val
		after = m.end
	} else {
		// "July 15"
		for _, i := range dc.byKind[kMonth] {
			m := &dc.ms[i]
			if m.end <= n.start && skipSp(s, m.end) == n.start {
				month = m.e.val
			}
		}
	}
	if month == 0 {
		return time.Time{}, false
	}
	now := dc.m.Date
	year := now.Year()
	k := skipSp(s, after)
	if k < len(s) && s[k] == ',' {
		k = skipSp(s, k+1)
	}
	for _, q := range nums {
		if q.start == k && q.val >= 2000 && q.val < 2100 {
			year = int(q.val)
		}
	}
	d := time.Date(year, time.Month(month), int(n.val), 0, 0, 0, 0, now.Location())
	if d.Before(now) && year == now.Year() {
		d = d.AddDate(1, 0, 0)
	}
	return d, true
}

// custom reports the custom-work cue groups whose words are all in one
// sentence.
func (x *Extractor) custom(dc *doc, f *Fields) {
	if len(dc.byKind[kCustom]) == 0 {
		return
	}
	found := map[int][]int{} // part id -> sentences
	for _, i := range dc.byKind[kCustom] {
		m := &dc.ms[i]
		found[m.e.val] = append(found[m.e.val], dc.sentence(m.start))
	}
	for _, c := range x.cues {
		hit := false
		for _, alt := range c.alts {
			// A sentence holding every part.
			for _, sent := range found[alt[0]] {
				all := true
				for _, p := range alt[1:] {
					if !containsInt(found[p], sent) {
						all = false
						break
					}
				}
				if all {
					hit = true
					break
				}
			}
			if hit {
				break
			}
		}
		if hit {
			f.Custom = append(f.Custom, c.name)
		}
	}
}

func containsInt(a []int, v int) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}
