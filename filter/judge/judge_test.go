package judge

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/extract"
	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

func ip(n int) *int         { return &n }
func fp(x float64) *float64 { return &x }
func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// sourcingFields is a complete, ordinary purchase request: every plan rule
// passes, so it gets a quote; each test case changes one thing.
func sourcingFields() extract.Fields {
	return extract.Fields{
		Models:        []string{"ER-K200"},
		Quantity:      ip(2000),
		ModelQuantity: map[string]int{"ER-K200": 2000},
		Incoterm:      "FOB",
		Payment:       []string{"T/T"},
		Company:       "Example Trading GmbH",
		Address:       "Hauptstr. 1, 10115 Berlin",
		Phone:         "+49 30 1234567",
		Website:       "example-trading.de",
		Country:       "DE",
		Language:      "en",
	}
}

const orderText = "We would like to order 2,000 pcs ER-K200 kick scooters, FOB Ningbo, 30% T/T deposit."

func msg(date string, text string) *decode.Message {
	return &decode.Message{
		Subject: "Order ER-K200",
		From:    decode.Address{Addr: "buyer@example-trading.de"},
		Date:    day(date), HasDate: true,
		Text:   text,
		Header: textproto.Header{},
	}
}

func TestPlanRules(t *testing.T) {
	j, _ := testJudge(t)
	tests := []struct {
		name   string
		date   string
		text   string
		change func(f *extract.Fields)
		sender []string
		want   string
		reason string
	}{
		{name: "quote", date: "2025-09-10", want: PlanQuote},
		{name: "snow in season start", date: "2025-03-01", change: snow, want: PlanQuote},
		{name: "snow in season end", date: "2025-07-31", change: snow, want: PlanQuote},
		{name: "snow before season", date: "2025-02-28", change: snow, want: PlanNotSellingNow, reason: "plan:season"},
		{name: "snow after season", date: "2025-08-01", change: snow, want: PlanNotSellingNow, reason: "plan:season"},
		{name: "e8 to australia", date: "2025-09-10", change: func(f *extract.Fields) { e8(f); f.Country = "AU" }, want: PlanNotSellingNow, reason: "plan:restricted-market"},
		{name: "e8 to india", date: "2025-09-10", change: func(f *extract.Fields) { e8(f); f.Country = "IN" }, want: PlanNotSellingNow, reason: "plan:restricted-market"},
		{name: "k200 to india", date: "2025-09-10", change: func(f *extract.Fields) { f.Country = "IN" }, want: PlanQuote},
		{name: "e8 to spain", date: "2025-09-10", change: func(f *extract.Fields) { e8(f); f.Country = "ES" }, want: PlanQuote},
		{name: "embargoed", date: "2025-09-10", change: func(f *extract.Fields) { f.Country = "IR" }, want: PlanNotSellingNow, reason: "plan:embargoed"},
		{name: "at capacity", date: "2025-09-10", change: func(f *extract.Fields) { e8(f); f.Quantity = ip(3000); f.ModelQuantity["ER-E8"] = 3000 }, want: PlanQuote},
		{name: "over capacity", date: "2025-09-10", change: func(f *extract.Fields) { e8(f); f.Quantity = ip(3001); f.ModelQuantity["ER-E8"] = 3001 }, want: PlanCannotFulfil, reason: "plan:over-capacity"},
		{name: "over capacity total only", date: "2025-09-10", change: func(f *extract.Fields) { f.Quantity = ip(90000); f.ModelQuantity = nil }, want: PlanCannotFulfil, reason: "plan:over-capacity"},
		{name: "at floor", date: "2025-09-10", change: func(f *extract.Fields) { f.TargetPrice = fp(25) }, want: PlanQuote},
		{name: "below floor", date: "2025-09-10", change: func(f *extract.Fields) { f.TargetPrice = fp(24.9); f.Currency = "USD" }, want: PlanCannotFulfil, reason: "plan:below-floor"},
		{name: "below floor other model", date: "2025-09-10", change: func(f *extract.Fields) { f.TargetPrice = fp(7.5); f.TargetPriceModel = "ER-K3 Mini" }, want: PlanCannotFulfil, reason: "plan:below-floor"},
		{name: "not in range", date: "2025-09-10", change: func(f *extract.Fields) {
			f.OtherProducts = []string{"hoverboard"}
			f.Models = nil
			f.ModelQuantity = nil
		}, want: PlanCannotFulfil, reason: "plan:not-in-range"},
		{name: "season before capacity", date: "2025-10-01", change: func(f *extract.Fields) { snow(f); f.Quantity = ip(9000); f.ModelQuantity["ER-Snow"] = 9000 }, want: PlanNotSellingNow},
		{name: "no company", date: "2025-09-10", change: func(f *extract.Fields) { f.Company = "" }, want: PlanCounterInquiry, reason: "plan:no-company"},
		{name: "company only", date: "2025-09-10", change: func(f *extract.Fields) { f.Address, f.Phone, f.Website = "", "", "" }, want: PlanCounterInquiry, reason: "plan:no-contact-details"},
		{name: "company and phone", date: "2025-09-10", change: func(f *extract.Fields) { f.Address, f.Website = "", "" }, want: PlanQuote},
		{name: "company and website", date: "2025-09-10", change: func(f *extract.Fields) { f.Address, f.Phone = "", "" }, want: PlanQuote},
		{name: "lead time under", date: "2025-09-10", change: func(f *extract.Fields) { f.DeliveryDays = ip(34) }, want: PlanNeedTime, reason: "plan:rush-delivery"},
		{name: "lead time equal", date: "2025-09-10", change: func(f *extract.Fields) { f.DeliveryDays = ip(35) }, want: PlanQuote},
		{name: "pantone colour", date: "2025-09-10", text: orderText + " Frame in Pantone 7481 C.", want: PlanNeedTime},
		{name: "logo on stem", date: "2025-09-10", text: orderText + " Our logo printed on the deck and on the stem.", want: PlanNeedTime},
		{name: "logo on deck only", date: "2025-09-10", text: orderText + " Our logo laser-engraved on the deck only.", want: PlanQuote},
		{name: "guarded first", date: "2025-10-01", change: snow, sender: []string{"competitor-domain"}, want: PlanGuarded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sourcingFields()
			if tc.change != nil {
				tc.change(&f)
			}
			text := tc.text
			if text == "" {
				text = orderText
			}
			v := j.Judge(msg(tc.date, text), f, tc.sender)
			if v.ReplyPlan != tc.want {
				t.Fatalf("plan %q, want %q (type %s, signals %v)", v.ReplyPlan, tc.want, v.BuyerType, v.Signals)
			}
			if tc.reason != "" && !hasSignal(v, tc.reason) {
				t.Errorf("signals %v lack %s", v.Signals, tc.reason)
			}
		})
	}
}

func snow(f *extract.Fields) {
	f.Models = []string{"ER-Snow"}
	f.ModelQuantity = map[string]int{"ER-Snow": 1400}
	f.Quantity = ip(1400)
}

func e8(f *extract.Fields) {
	f.Models = []string{"ER-E8"}
	f.ModelQuantity = map[string]int{"ER-E8": 300}
	f.Quantity = ip(300)
}

func hasSignal(v Verdict, name string) bool {
	for _, s := range v.Signals {
		if s.Name == name {
			return true
		}
	}
	return false
}

// TestNotUrgent: research and budgeting cues, and a purchase date 3+ months
// after the Date, for a buyer that is not executing a purchase now.
func TestNotUrgent(t *testing.T) {
	j, _ := testJudge(t)
	f := sourcingFields()
	f.Quantity, f.ModelQuantity, f.Payment, f.Incoterm = nil, nil, nil, ""
	tests := []struct {
		date, text, want string
	}{
		{"2025-11-18", "This is our first import. What does FOB mean? We plan the first order of kick scooters for March 2026.", PlanNotUrgent},
		{"2025-12-20", "This is our first import. What does FOB mean? We plan the first order of kick scooters for March 2026.", PlanQuote},
		{"2025-09-01", "We already buy from two factories and would like your price list of kick scooters for our market research.", PlanNotUrgent},
		{"2025-09-01", "We already buy from two factories and would like your price list of kick scooters to compare.", PlanQuote},
		{"2025-09-01", "Wir kaufen bei unserem Lieferanten und bitten um Ihre Preisliste für Tretroller für unser Budget 2026.", PlanNotUrgent},
		{"2025-05-01", "这是我们第一次进口滑板车，请问什么是FOB？我们计划2025年12月下单。", PlanNotUrgent},
	}
	for _, tc := range tests {
		v := j.Judge(msg(tc.date, tc.text), f, nil)
		if v.BuyerType == Sourcing || v.BuyerType == None {
			t.Errorf("%q: type %s", tc.text, v.BuyerType)
			continue
		}
		if v.ReplyPlan != tc.want {
			t.Errorf("%s %q: plan %s, want %s (%v)", tc.date, tc.text, v.ReplyPlan, tc.want, v.Signals)
		}
	}
}

func TestPurchaseHorizon(t *testing.T) {
	now := day("2025-11-18")
	tests := []struct {
		text string
		days int
		ok   bool
	}{
		{"order planned for march 2026", 117, true},
		{"pedido en marzo de 2026", 117, true},
		{"no decision before q3 2026", 225, true},
		{"around the end of 2026", 317, true},
		{"2026年3月下单", 117, true},
		{"заказ в марте 2026 года", 117, true},
		{"ISO 9001:2015 certified", 0, false},
		{"we may order in 2026", 58, true},
		{"we plan to buy in 6 months", 181, true},
		{"nous commanderons dans 4 mois", 120, true},
		{"закупка через 6 месяцев", 181, true},
		{"预计6个月后采购", 181, true},
		{"warranty of 6 months", 0, false},
	}
	for _, tc := range tests {
		d, ok := purchaseHorizon(normalize(tc.text), now)
		if ok != tc.ok || d != tc.days {
			t.Errorf("%q: %d %v, want %d %v", tc.text, d, ok, tc.days, tc.ok)
		}
	}
}

// TestTypes: hand-written inquiries in several languages, one per type.
func TestTypes(t *testing.T) {
	j, _ := testJudge(t)
	none := extract.Fields{}
	tests := []struct {
		name, text string
		f          extract.Fields
		sender     []string
		want, kind string
	}{
		{"sourcing", orderText, sourcingFields(), nil, Sourcing, ""},
		{"free sample es", "Hola, quiero una muestra gratis del patinete ER-K200 con envío gratis a mi casa. Si la calidad es buena haré un pedido grande.", none, nil, SampleSeeking, ""},
		{"free sample pl", "Proszę o darmową próbkę hulajnogi ER-K200, wysyłka na wasz koszt.", none, nil, SampleSeeking, ""},
		{"price list ru", "Мы уже работаем с двумя китайскими фабриками. Пришлите, пожалуйста, прайс-лист и каталог самокатов для сравнения.", none, nil, InfoGathering, ""},
		{"market entry fr", "C'est la première fois que nous importons. Que veut dire FOB ? Quels certificats faut-il pour vendre des trottinettes en France ?", none, nil, MarketEntry, ""},
		{"copycat en", "Our R&D team is developing our own folding scooter. Please share the mould maker, tooling cost, heat treatment of the alloy and the BOM cost breakdown of the ER-K200.", none, nil, IntelProbe, "copycat"},
		{"competitor en", "Please send the full price list for all scooter models with your dealer discount tiers, and tell us who your customers in the US are.", none, []string{"freemail-sender", "date-plus0800", "china-mailer"}, IntelProbe, "competitor"},
		{"competitor domain", "Please quote 1,000 ER-K200 kick scooters FOB.", sourcingFields(), []string{"competitor-domain"}, IntelProbe, "competitor"},
		{"off topic", "Can we move the meeting to Thursday? The budget spreadsheet is attached.", none, nil, None, ""},
		{"phishing", "New purchase order for scooters: please sign in with your email account to view the document.", none, nil, None, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := msg("2025-09-10", tc.text)
			m.Subject = "Inquiry"
			v := j.Judge(m, tc.f, tc.sender)
			if v.BuyerType != tc.want || v.ProbeKind != tc.kind {
				t.Fatalf("got %s/%s, want %s/%s (%v)", v.BuyerType, v.ProbeKind, tc.want, tc.kind, v.Signals)
			}
			if v.BuyerType == None && (v.Grade != "" || v.ReplyPlan != "" || v.Rep != "") {
				t.Errorf("none with grade/plan/rep: %+v", v)
			}
			if v.BuyerType != None && (v.Grade == "" || v.ReplyPlan == "" || v.Rep == "") {
				t.Errorf("inquiry without grade/plan/rep: %+v", v)
			}
		})
	}
}

func TestNoneHeaders(t *testing.T) {
	j, _ := testJudge(t)
	f := sourcingFields()
	tests := []struct {
		name string
		set  func(m *decode.Message)
	}{
		{"auto-submitted", func(m *decode.Message) { m.Header.Set("Auto-Submitted", "auto-replied") }},
		{"list", func(m *decode.Message) { m.Header.Set("List-Unsubscribe", "<mailto:x@y>") }},
		{"bulk", func(m *decode.Message) { m.Header.Set("Precedence", "bulk") }},
		{"dsn", func(m *decode.Message) { m.MediaType = "multipart/report" }},
		{"internal", func(m *decode.Message) { m.From.Addr = "lily.chen@everride-scooter.com" }},
		{"thread", func(m *decode.Message) { m.Subject = "Re: PI 2025-118"; m.InReplyTo = []string{"a@b"} }},
	}
	for _, tc := range tests {
		m := msg("2025-09-10", orderText)
		tc.set(m)
		if v := j.Judge(m, f, nil); v.BuyerType != None || v.Grade != "" {
			t.Errorf("%s: %s/%s", tc.name, v.BuyerType, v.Grade)
		}
	}
	// Auto-Submitted: no is an ordinary message.
	m := msg("2025-09-10", orderText)
	m.Header.Set("Auto-Submitted", "no")
	if v := j.Judge(m, f, nil); v.BuyerType != Sourcing {
		t.Errorf("Auto-Submitted: no: %s", v.BuyerType)
	}
}

func TestGradeAndRep(t *testing.T) {
	cfg := testConfig(t)
	cfg.Classify.Grades = map[string]string{"info-gathering": "B"}
	j, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ig := "We already work with two factories; please send your price list and catalogue of kick scooters to compare."
	f := sourcingFields()
	f.Quantity, f.ModelQuantity, f.Incoterm, f.Payment = nil, nil, "", nil
	v := j.Judge(msg("2025-09-10", ig), f, nil)
	if v.BuyerType != InfoGathering || v.Grade != "B" || v.Rep != "lily.chen" {
		t.Errorf("override: %s %s %s", v.BuyerType, v.Grade, v.Rep)
	}
	j2, _ := testJudge(t)
	m := msg("2025-09-10", ig)
	if v := j2.Judge(m, f, nil); v.Grade != "C" {
		t.Errorf("default grade %s", v.Grade)
	}
	m.From.Addr = "buyer@urbanmove.co.uk"
	if v := j2.Judge(m, f, nil); v.Grade != "B" {
		t.Errorf("customer grade %s", v.Grade)
	}
	m.From.Addr = "buyer@urban-move.co.uk"
	if v := j2.Judge(m, f, nil); v.Grade != "C" {
		t.Errorf("look-alike grade %s", v.Grade)
	}
	f.Country = ""
	if v := j2.Judge(m, f, nil); v.Rep != "david.li" {
		t.Errorf("unknown country rep %q", v.Rep)
	}
	f.Country = "BR"
	if v := j2.Judge(m, f, nil); v.Rep != "kevin.wang" {
		t.Errorf("BR rep %q", v.Rep)
	}
}

func TestRulesFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[threshold]\nnone = 1\nbogus = 2\n"), 0o644)
	cfg := testConfig(t)
	cfg.Classify.Rules = bad
	if _, err := New(cfg); err == nil {
		t.Error("unknown key accepted")
	}
	good := filepath.Join(dir, "good.toml")
	os.WriteFile(good, embeddedRules, 0o644)
	cfg.Classify.Rules = good
	if _, err := New(cfg); err != nil {
		t.Error(err)
	}
	if _, err := parseRules("x", bytes.ReplaceAll(embeddedRules, []byte(`name = "asks-free-sample"`), []byte(`name = "Asks Free"`))); err == nil || !strings.Contains(err.Error(), "lower-case") {
		t.Errorf("bad signal name: %v", err)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Échantillon  GRATUIT\n": "echantillon gratuit",
		"İTHALAT":                "ithalat",
		"Straße":                 "strasse",
		"We’re":                  "we're",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
	m, _ := compileWord("sample", false)
	if !m.find("free samples please") || m.find("freesample") {
		t.Error("stem boundary")
	}
	m, _ = compileWord("seo=", false)
	if m.find("seoul office") || !m.find("cheap seo services") {
		t.Error("whole word")
	}
}

// BenchmarkJudge judges every corpus message (decoded and extracted
// beforehand), so it measures the judgement alone.
func BenchmarkJudge(b *testing.B) {
	dir := filepath.Join(mtatest.SharedDir(b), "corpus")
	j, cfg := testJudge(b)
	type in struct {
		m *decode.Message
		f extract.Fields
		s []string
	}
	var ins []in
	for _, l := range loadLabels(b, dir) {
		raw, err := os.ReadFile(filepath.Join(dir, l.File))
		if err != nil {
			b.Fatal(err)
		}
		m, f, s := prepare(cfg, raw, &l)
		ins = append(ins, in{m, f, s})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := ins[i%len(ins)]
		j.Judge(x.m, x.f, x.s)
	}
}

var _ = config.Config{}
