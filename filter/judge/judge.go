package judge

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/extract"
)

// Judge classifies decoded, extracted inquiries. It is safe for concurrent
// use: New compiles everything once and Judge only reads.
type Judge struct {
	sup      *config.Supplier
	rules    *Rules
	cues     []compiledCue
	matchers [][]matcher
	index    *cueIndex
	grades   map[string]string

	customers   map[string]bool
	competitors map[string]bool
	chinaLocal  map[string]bool
	products    map[string]*config.Product // by lower-case model
}

// DefaultGrades is the profile's default mapping of buyer type to grade.
var DefaultGrades = map[string]string{
	Sourcing:      "A",
	MarketEntry:   "B",
	InfoGathering: "C",
	SampleSeeking: "D",
	IntelProbe:    "D",
}

// New builds a Judge from the configuration: the supplier section and the
// [classify] grades and rules file.
func New(cfg *config.Config) (*Judge, error) {
	if cfg == nil {
		return nil, fmt.Errorf("judge: no configuration")
	}
	rules, err := LoadRules(cfg.Classify.Rules)
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	return NewWithRules(&cfg.Supplier, cfg.Classify.Grades, rules)
}

// NewWithRules builds a Judge from a supplier, a grade override and rules.
func NewWithRules(sup *config.Supplier, grades map[string]string, rules *Rules) (*Judge, error) {
	j := &Judge{
		sup:         sup,
		rules:       rules,
		grades:      map[string]string{},
		customers:   map[string]bool{},
		competitors: map[string]bool{},
		chinaLocal:  map[string]bool{},
		products:    map[string]*config.Product{},
	}
	for k, v := range DefaultGrades {
		j.grades[k] = v
	}
	for k, v := range grades {
		j.grades[k] = strings.ToUpper(v)
	}
	for _, d := range sup.Customers {
		j.customers[strings.ToLower(d)] = true
	}
	for _, d := range sup.Competitors {
		j.competitors[strings.ToLower(d)] = true
	}
	for _, c := range rules.Sender.ChineseScriptCountries {
		j.chinaLocal[c] = true
	}
	groups := slices.Clone(rules.Cue)
	// The catalogue's own product words (any language) name what we sell,
	// and so do the words of products we do not make (cannot-fulfil).
	// Words that count only in context (spare-part names) are left to
	// extraction, which reports them as models.
	var words []string
	for i := range sup.Products {
		p := &sup.Products[i]
		j.products[strings.ToLower(p.Model)] = p
		if len(p.Context) == 0 {
			words = append(words, p.Words...)
		}
	}
	for _, p := range sup.NotMade {
		words = append(words, p.Words...)
	}
	if len(words) > 0 {
		groups = append(groups, CueGroup{Name: "catalogue-word", Product: true, Words: words, wholeWords: true})
	}
	// Custom work of the supplier section adds to the rules' custom cues.
	for _, c := range sup.Custom {
		name := "custom-work"
		if validSignal(c.Name) {
			name = c.Name
		}
		if len(c.Words) > 0 {
			groups = append(groups, CueGroup{Name: name, Plan: PlanNeedTime, Words: c.Words, wholeWords: true})
		}
	}
	j.cues, j.matchers = compileCues(groups)
	j.index = buildIndex(j.matchers)
	return j, nil
}

// evidence is what one message shows.
type evidence struct {
	score   map[string]float64 // by score key
	text    map[string]float64 // text-only part of the scores
	signals []Signal
	fired   []bool
	product bool
	plans   map[string]string // plan -> signal name of the cue that fired
	norm    string            // normalised subject, new text and signature
}

// Judge decides buyer type, grade, reply plan and rep for one message.
// sender lists the sender signals (filter/sender, filter/auth).
func (j *Judge) Judge(m *decode.Message, f extract.Fields, sender []string) Verdict {
	ev := evidence{score: map[string]float64{}, text: map[string]float64{}, plans: map[string]string{}}
	return j.judge(m, f, sender, &ev)
}

// judge is Judge with the evidence kept for the caller (tests, tuning).
func (j *Judge) judge(m *decode.Message, f extract.Fields, sender []string, evp *evidence) Verdict {
	v := Verdict{BuyerType: None, Fields: f}
	if m == nil {
		return v
	}
	r := j.rules
	ev := *evp
	defer func() { *evp = ev }()

	// 1. Is it a buyer inquiry at all? Headers first.
	noneSignals := j.headerEvidence(m)
	for _, s := range noneSignals {
		ev.score[keyNone] += s.Weight
	}

	// 2. Cues in the subject, new text and signature.
	text := normalize(m.Subject, m.Text, m.Signature)
	ev.norm = text
	ev.fired = make([]bool, len(j.cues))
	j.index.scan(text, ev.fired)
	var cueSignals []Signal
	for i, c := range j.cues {
		if !ev.fired[i] || !anyFired(ev.fired, c.requires) {
			continue
		}
		if c.Product {
			ev.product = true
		}
		if c.Plan != "" {
			if _, ok := ev.plans[c.Plan]; !ok {
				ev.plans[c.Plan] = c.Name
			}
			continue
		}
		if len(c.Score) == 0 {
			continue
		}
		main := 0.0
		for k, w := range c.Score {
			ev.score[k] += w
			ev.text[k] += w
			if math.Abs(w) > math.Abs(main) {
				main = w
			}
		}
		if c.Score[keyNone] > 0 {
			noneSignals = append(noneSignals, Signal{Name: c.Name, Weight: c.Score[keyNone]})
		} else {
			cueSignals = append(cueSignals, Signal{Name: c.Name, Weight: main})
		}
	}
	if len(f.Models) > 0 || len(f.OtherProducts) > 0 {
		ev.product = true
	}

	if ev.score[keyNone] >= r.Threshold.None {
		v.Signals = mergeSignals(noneSignals)
		return v
	}

	// 3. Sender signals: a listed competitor is a probe whatever it says.
	from := m.From.Domain()
	if j.competitors[from] || slices.Contains(sender, "competitor-domain") {
		return j.finish(m, f, v, IntelProbe, "competitor", append([]Signal{{Name: "competitor-domain", Weight: r.Sender.Weights["competitor-domain"]}}, cueSignals...), ev)
	}
	for _, rt := range m.ReplyTo {
		if j.competitors[rt.Domain()] {
			return j.finish(m, f, v, IntelProbe, "competitor", append([]Signal{{Name: "competitor-domain", Weight: r.Sender.Weights["competitor-domain"]}}, cueSignals...), ev)
		}
	}

	// 4. Facts from extraction.
	fw := r.Fields
	var factSignals []Signal
	fact := func(name, key string, w float64) {
		if w == 0 {
			return
		}
		ev.score[key] += w
		factSignals = append(factSignals, Signal{Name: name, Weight: w})
	}
	orderQty := f.Quantity != nil && *f.Quantity >= r.Threshold.OrderQuantity
	if orderQty {
		fact("order-quantity", Sourcing, fw["order-quantity"])
	}
	if !orderQty {
		// Executing a purchase means saying how many.
		fact("no-order-quantity", Sourcing, fw["no-quantity-sourcing"])
	}
	if f.Incoterm != "" {
		fact("incoterm", Sourcing, fw["incoterm"])
	}
	if len(f.Payment) > 0 {
		fact("payment-terms", Sourcing, fw["payment-terms"])
	}
	if f.DeliveryDays != nil {
		fact("delivery-date", Sourcing, fw["delivery-date"])
	}
	if f.TargetPrice != nil {
		fact("target-price", Sourcing, fw["target-price"])
	}
	if len(f.Models) > 0 {
		fact("model-named", Sourcing, fw["model-named"])
	}
	fullID := identityComplete(f)
	if fullID {
		fact("full-identity", Sourcing, fw["full-identity"])
	}

	// A buyer who orders in quantity may ask technical questions too;
	// copycats buy a sample or two at most.
	if orderQty && ev.text[keyCopycat] > 0 {
		ev.score[keyCopycat] += fw["order-quantity-copycat"]
	}

	// Competitor evidence beyond the text.
	var senderSignals []Signal
	senderW := 0.0
	local := j.chinaLocal[strings.ToUpper(f.Country)]
	for _, s := range sender {
		w, ok := r.Sender.Weights[s]
		if !ok || w == 0 {
			continue
		}
		switch s {
		case "date-plus0800", "china-mailer", "gb-charset":
			if local || f.Country == "" {
				continue
			}
		}
		ev.score[keyCompetitor] += w
		senderW += w
		senderSignals = append(senderSignals, Signal{Name: s, Weight: w})
	}
	if ev.text[keyCompetitor] > 0 {
		if !orderQty {
			ev.score[keyCompetitor] += fw["no-quantity-competitor"]
			senderSignals = append(senderSignals, Signal{Name: "no-quantity", Weight: fw["no-quantity-competitor"]})
		}
		if f.Website == "" && f.Phone == "" && (isFreemail(from) || slices.Contains(sender, "freemail-sender")) {
			ev.score[keyCompetitor] += fw["thin-identity-freemail"]
			senderW += fw["thin-identity-freemail"]
			senderSignals = append(senderSignals, Signal{Name: "thin-identity-freemail", Weight: fw["thin-identity-freemail"]})
		}
	}

	// 5. Relevance: an inquiry is about what we sell, or it comes from a
	// look-alike of our own or a customer's domain (a probe need not name
	// a product to ask for "the whole price list"), or it probes our
	// prices, discounts and customers the way a competitor does, from a
	// sender that looks the part (free mail without website or phone,
	// Reply-To elsewhere, Chinese client while claiming abroad ...).
	lookalike := slices.Contains(sender, "lookalike-own-domain") || slices.Contains(sender, "lookalike-customer-domain")
	cc, comp := ev.score[keyCopycat], ev.score[keyCompetitor]
	isCopy := cc >= r.Threshold.Copycat
	isComp := comp >= r.Threshold.Competitor && ev.text[keyCompetitor] >= r.Threshold.CompetitorText
	// A probe need not name a product: asking for customer names, costs
	// and discount tiers is enough when the sender looks the part, or
	// when the text alone reaches the competitor threshold and nothing
	// says the mail is no inquiry (newsletters talk of dealers and prices).
	offProductProbe := isComp && ev.text[keyCompetitor] >= 2*r.Threshold.CompetitorText &&
		(senderW >= 1.5 || ev.text[keyCompetitor] >= r.Threshold.Competitor && ev.score[keyNone] < 1)
	if !ev.product && !lookalike && !offProductProbe {
		v.Signals = mergeSignals(append(noneSignals, Signal{Name: "off-topic", Weight: 0}))
		return v
	}

	// 6. Intel probes.
	if isCopy || isComp {
		kind := "copycat"
		sig := []Signal{{Name: "copycat-score", Weight: round(cc)}}
		if isComp && (!isCopy || comp/r.Threshold.Competitor > cc/r.Threshold.Copycat) {
			kind = "competitor"
			sig = append([]Signal{{Name: "competitor-score", Weight: round(comp)}}, senderSignals...)
		}
		return j.finish(m, f, v, IntelProbe, kind, append(sig, cueSignals...), ev)
	}

	// 7. The best buyer type.
	best, bestScore := "", 0.0
	// On a tie the more specific type wins: newcomers and comparers also
	// name models and quantities.
	for _, t := range []string{MarketEntry, InfoGathering, SampleSeeking, Sourcing} {
		if s := ev.score[t]; s > bestScore {
			best, bestScore = t, s
		}
	}
	// A mail about our products whose main content is technical internals
	// is a copycat probe even below the copycat threshold: it is no buyer
	// inquiry, but it is not unrelated mail either.
	if r.Threshold.CopycatWeak > 0 && bestScore < r.Threshold.Inquiry && !orderQty && ev.text[keyCopycat] >= r.Threshold.CopycatWeak && ev.product {
		return j.finish(m, f, v, IntelProbe, "copycat", append([]Signal{{Name: "copycat-score", Weight: round(cc)}}, cueSignals...), ev)
	}
	if best == "" || bestScore < r.Threshold.Inquiry {
		v.Signals = mergeSignals(append(noneSignals, Signal{Name: "no-buyer-cues", Weight: round(bestScore)}))
		return v
	}
	sig := append([]Signal{{Name: best + "-score", Weight: round(bestScore)}}, cueSignals...)
	for _, s := range factSignals {
		if s.Weight > 0 || best == Sourcing {
			sig = append(sig, s)
		}
	}
	return j.finish(m, f, v, best, "", sig, ev)
}

// finish sets grade, plan and rep for an inquiry.
func (j *Judge) finish(m *decode.Message, f extract.Fields, v Verdict, bt, kind string, sig []Signal, ev evidence) Verdict {
	v.BuyerType, v.ProbeKind = bt, kind
	v.Grade = j.grades[bt]
	if j.customers[m.From.Domain()] && gradeWorse(v.Grade, "B") {
		v.Grade = "B"
		sig = append(sig, Signal{Name: "known-customer", Weight: 0})
	}
	plan, reasons := j.plan(m, f, bt, ev)
	v.ReplyPlan = plan
	v.Rep = j.sup.RepFor(f.Country)
	if v.Rep == "" {
		v.Rep = j.sup.DefaultRep
	}
	v.Signals = mergeSignals(append(sig, reasons...))
	return v
}

func anyFired(fired []bool, idx []int) bool {
	if len(idx) == 0 {
		return true
	}
	for _, i := range idx {
		if fired[i] {
			return true
		}
	}
	return false
}

func gradeWorse(g, than string) bool { return g == "" || g > than }

// headerEvidence applies the header rules.
func (j *Judge) headerEvidence(m *decode.Message) []Signal {
	var out []Signal
	for _, h := range j.rules.Header {
		if j.headerRule(m, h) {
			out = append(out, Signal{Name: h.Name, Weight: h.Weight})
		}
	}
	return out
}

func (j *Judge) headerRule(m *decode.Message, h HeaderRule) bool {
	switch h.Field {
	case "@media-type":
		return matchValue(strings.ToLower(m.MediaType), h.Values, h.Except)
	case "@from-own-domain":
		d := m.From.Domain()
		own := strings.ToLower(j.sup.Domain)
		return own != "" && (d == own || strings.HasSuffix(d, "."+own))
	case "@thread":
		return (len(m.InReplyTo) > 0 || len(m.References) > 0) && j.replySubject(m.Subject)
	case "@in-reply-to":
		return len(m.InReplyTo) > 0 || len(m.References) > 0
	case "@re-subject":
		return j.replySubject(m.Subject)
	case "@attachment-name":
		for _, a := range m.Attachments {
			name := strings.ToLower(a.Filename)
			for _, v := range h.Values {
				if strings.HasSuffix(name, v) {
					return true
				}
			}
		}
		return false
	case "@return-path-null":
		if m.Header.Has("Return-Path") {
			rp := strings.TrimSpace(m.Header.Get("Return-Path"))
			return rp == "<>" || rp == ""
		}
		return false
	case "@from-system":
		local := strings.ToLower(m.From.Addr)
		if i := strings.IndexByte(local, '@'); i >= 0 {
			local = local[:i]
		}
		switch local {
		case "mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "notification", "notifications", "bounce", "bounces":
			return true
		}
		// Notification robots: "import-notice@", "shipping-notification@",
		// "newsletter@", "alerts@".
		return strings.HasPrefix(local, "noreply") || strings.HasPrefix(local, "no-reply") || strings.HasPrefix(local, "bounce") ||
			strings.Contains(local, "notice") || strings.Contains(local, "notification") || strings.HasPrefix(local, "newsletter") ||
			strings.HasPrefix(local, "alert")
	}
	if !m.Header.Has(h.Field) {
		return false
	}
	return matchValue(strings.ToLower(m.Header.Get(h.Field)), h.Values, h.Except)
}

func matchValue(val string, values, except []string) bool {
	val = strings.TrimSpace(val)
	for _, e := range except {
		if val == e || strings.HasPrefix(val, e+";") || strings.HasPrefix(val, e+" ") {
			return false
		}
	}
	if len(values) == 0 {
		return true
	}
	for _, w := range values {
		if strings.Contains(val, w) {
			return true
		}
	}
	return false
}

func (j *Judge) replySubject(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, p := range j.rules.Thread.ReplyPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// identityComplete: a company name, and a street address, phone or website.
func identityComplete(f extract.Fields) bool {
	return f.Company != "" && (f.Address != "" || f.Phone != "" || f.Website != "")
}

var freemail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "yahoo.com": true, "yahoo.fr": true, "yahoo.co.uk": true, "yahoo.es": true,
	"hotmail.com": true, "hotmail.fr": true, "hotmail.es": true, "hotmail.co.uk": true, "outlook.com": true, "live.com": true,
	"msn.com": true, "aol.com": true, "icloud.com": true, "me.com": true, "mail.ru": true, "yandex.ru": true, "yandex.com": true,
	"bk.ru": true, "inbox.ru": true, "list.ru": true, "rambler.ru": true, "qq.com": true, "163.com": true, "126.com": true,
	"sina.com": true, "sohu.com": true, "yeah.net": true, "aliyun.com": true, "proton.me": true, "protonmail.com": true,
	"gmx.de": true, "gmx.net": true, "web.de": true, "t-online.de": true, "libero.it": true, "orange.fr": true, "free.fr": true,
	"laposte.net": true, "wanadoo.fr": true, "uol.com.br": true, "bol.com.br": true, "terra.com.br": true, "naver.com": true,
	"daum.net": true, "hanmail.net": true, "yahoo.co.jp": true, "wp.pl": true, "o2.pl": true, "onet.pl": true, "interia.pl": true,
	"rediffmail.com": true, "zoho.com": true, "mail.com": true, "gmx.com": true, "yahoo.com.br": true, "hotmail.it": true,
}

func isFreemail(d string) bool { return freemail[strings.ToLower(d)] }

// mergeSignals drops duplicates (keeping the first) and keeps the order.
func mergeSignals(in []Signal) []Signal {
	out := make([]Signal, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		if s.Name == "" || seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		s.Weight = round(s.Weight)
		out = append(out, s)
	}
	return out
}

func round(x float64) float64 { return math.Round(x*100) / 100 }

// sortedScores is for debugging output: the scores, largest first.
func sortedScores(m map[string]float64) []Signal {
	var out []Signal
	for k, v := range m {
		out = append(out, Signal{Name: k, Weight: round(v)})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Weight > out[b].Weight })
	return out
}
