package draft

import (
	"bufio"
	"bytes"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/extract"
	"github.com/tradesift/tradesift/filter/judge"
	"github.com/tradesift/tradesift/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

var (
	testNow   = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	testLangs = []string{"en", "es", "ru", "fr", "pt", "ar"}
)

func newRenderer(t *testing.T, dir string) *Renderer {
	t.Helper()
	r, err := New(dir, SampleSupplier())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rep() config.Rep { return SampleSupplier().Reps[0] }

// parsed is a draft read back: its header and its decoded text.
type parsed struct {
	h    mail.Header
	text string
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatalf("bare LF in draft")
	}
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(p.Body)
	if err != nil {
		t.Fatal(err)
	}
	return parsed{h: mr.Header, text: strings.ReplaceAll(string(b), "\r\n", "\n")}
}

// TestEveryPlanEveryLanguage renders every plan in every language for
// every buyer type, with full and with empty fields.
func TestEveryPlanEveryLanguage(t *testing.T) {
	r := newRenderer(t, "")
	for _, plan := range plans {
		for _, lang := range testLangs {
			for _, bt := range buyerTypes {
				for _, full := range []bool{true, false} {
					v := judge.Verdict{BuyerType: bt, Grade: "B", ReplyPlan: plan, Rep: "lily.chen"}
					m := SampleMessage()
					if full {
						v.Fields = SampleFields(lang)
					} else {
						v.Fields = extract.Fields{Language: lang}
						m = &decode.Message{From: decode.Address{Addr: "buyer@example.com"}, Text: "Hello"}
					}
					d, err := r.Draft(m, v, rep(), testNow)
					if err != nil {
						t.Fatalf("%s/%s/%s: %v", plan, lang, bt, err)
					}
					if d.Lang != lang {
						t.Errorf("%s/%s/%s: rendered in %s (%s)", plan, lang, bt, d.Lang, d.Template)
					}
					p := parse(t, d.Bytes)
					for _, bad := range []string{"<no value>", "%!", "[[]]", "{{", "}}"} {
						if strings.Contains(p.text, bad) {
							t.Errorf("%s/%s/%s: body contains %q:\n%s", plan, lang, bt, bad, p.text)
						}
					}
					if !strings.Contains(p.text, "Lily Chen") {
						t.Errorf("%s/%s/%s: no signature", plan, lang, bt)
					}
					if ct, params, _ := p.h.ContentType(); ct != "text/plain" || params["charset"] != "utf-8" {
						t.Errorf("%s/%s/%s: Content-Type %s %v", plan, lang, bt, ct, params)
					}
					if got := p.h.Get("Content-Language"); got != lang {
						t.Errorf("%s/%s/%s: Content-Language %q", plan, lang, bt, got)
					}
				}
			}
		}
	}
}

// The counter-inquiry form asks everything the guide lists, in every
// language.
func TestCounterInquiryForm(t *testing.T) {
	r := newRenderer(t, "")
	want := map[string][]string{
		"en": {"Company name:", "Address:", "Phone:", "Company website:", "Yearly volume", "Main markets"},
		"es": {"Nombre de la empresa:", "Dirección:", "Teléfono:", "Sitio web:", "Volumen anual", "Mercados"},
		"pt": {"Nome da empresa:", "Endereço:", "Telefone:", "Site da empresa:", "Volume anual", "Principais mercados"},
		"fr": {"Raison sociale :", "Adresse :", "Téléphone :", "Site web :", "Volume annuel", "Principaux marchés"},
		"ru": {"Название компании:", "Адрес:", "Телефон:", "Сайт компании:", "Годовой объём", "Основные рынки"},
		"ar": {"اسم الشركة:", "العنوان:", "الهاتف:", "الموقع الإلكتروني:", "حجم المشتريات السنوي", "الأسواق"},
	}
	for lang, fields := range want {
		v := judge.Verdict{BuyerType: judge.InfoGathering, ReplyPlan: judge.PlanCounterInquiry, Fields: extract.Fields{Language: lang, Models: []string{"ER-K200"}}}
		d, err := r.Draft(SampleMessage(), v, rep(), testNow)
		if err != nil {
			t.Fatal(err)
		}
		text := parse(t, d.Bytes).text
		for _, f := range fields {
			if !strings.Contains(text, f) {
				t.Errorf("%s: form lacks %q", lang, f)
			}
		}
	}
}

func TestLanguageChoice(t *testing.T) {
	r := newRenderer(t, "")
	for _, c := range []struct{ lang, bt, wantLang, wantFile string }{
		{"de", judge.Sourcing, "en", "templates/quote.en.tmpl"},
		{"", judge.Sourcing, "en", "templates/quote.en.tmpl"},
		{"pt-BR", judge.Sourcing, "pt", "templates/quote.pt.tmpl"},
		{"ES", judge.Sourcing, "es", "templates/quote.es.tmpl"},
		{"en", judge.MarketEntry, "en", "templates/quote.market-entry.en.tmpl"},
		{"fr", judge.MarketEntry, "fr", "templates/quote.market-entry.fr.tmpl"},
		{"fr", judge.InfoGathering, "fr", "templates/quote.fr.tmpl"},
		{"de", judge.MarketEntry, "en", "templates/quote.market-entry.en.tmpl"},
	} {
		v := judge.Verdict{BuyerType: c.bt, ReplyPlan: judge.PlanQuote, Fields: extract.Fields{Language: c.lang}}
		d, err := r.Draft(SampleMessage(), v, rep(), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if d.Lang != c.wantLang || d.Template != c.wantFile {
			t.Errorf("lang %q, %s: got %s from %s, want %s from %s", c.lang, c.bt, d.Lang, d.Template, c.wantLang, c.wantFile)
		}
	}
}

// The buyer's language beats a buyer-type specialisation that exists only
// in English.
func TestLanguageBeatsEnglishSpecialisation(t *testing.T) {
	dir := copyTemplates(t)
	os.WriteFile(filepath.Join(dir, "guarded.intel-probe.en.tmpl"), []byte(`{{define "body"}}Thank you.{{end}}`), 0o644)
	r := newRenderer(t, dir)
	for lang, want := range map[string]string{"fr": "guarded.fr.tmpl", "de": "guarded.intel-probe.en.tmpl", "en": "guarded.intel-probe.en.tmpl"} {
		v := judge.Verdict{BuyerType: judge.IntelProbe, ReplyPlan: judge.PlanGuarded, Fields: extract.Fields{Language: lang}}
		d, err := r.Draft(SampleMessage(), v, rep(), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(d.Template) != want {
			t.Errorf("%s: %s, want %s", lang, d.Template, want)
		}
	}
}

func TestNoDraftForNone(t *testing.T) {
	r := newRenderer(t, "")
	if _, err := r.Draft(SampleMessage(), judge.Verdict{BuyerType: judge.None}, rep(), testNow); err != ErrNoDraft {
		t.Errorf("got %v, want ErrNoDraft", err)
	}
}

func TestThreadingAndRecipients(t *testing.T) {
	r := newRenderer(t, "")
	m := SampleMessage()
	m.ReplyTo = []decode.Address{{Name: "Purchasing", Addr: "purchasing@scootworld.de"}}
	v := judge.Verdict{BuyerType: judge.Sourcing, ReplyPlan: judge.PlanQuote, Fields: SampleFields("en")}

	d, err := r.Draft(m, v, rep(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, d.Bytes)
	if to := p.h.Get("To"); to != `"Purchasing" <purchasing@scootworld.de>` {
		t.Errorf("Reply-To not honoured: To %q", to)
	}
	if irt, _ := p.h.MsgIDList("In-Reply-To"); len(irt) != 1 || irt[0] != m.MessageID {
		t.Errorf("In-Reply-To %v", irt)
	}
	if refs, _ := p.h.MsgIDList("References"); strings.Join(refs, " ") != "older.1@mail.scootworld.de "+m.MessageID {
		t.Errorf("References %v", refs)
	}
	if id, _ := p.h.MessageID(); id != d.MessageID || !strings.HasSuffix(id, "@everride-scooter.com") {
		t.Errorf("Message-ID %q (draft says %q)", id, d.MessageID)
	}
	if s, _ := p.h.Subject(); s != "Re: "+m.Subject {
		t.Errorf("Subject %q", s)
	}
	if dt, _ := p.h.Date(); !dt.Equal(testNow) {
		t.Errorf("Date %v", dt)
	}
	if from := p.h.Get("From"); from != `"Lily Chen" <lily.chen@everride-scooter.com>` {
		t.Errorf("From %q", from)
	}
	if !strings.Contains(p.text, "\n> we are interested in your ER-K200 kick scooter") {
		t.Errorf("inquiry not quoted:\n%s", p.text)
	}

	// A suspicious Reply-To is ignored: the draft goes to From.
	for _, sig := range []string{"reply-to-other-domain", "reply-to-freemail", "competitor-domain"} {
		v.Signals = []judge.Signal{{Name: sig, Weight: 1}}
		d, err := r.Draft(m, v, rep(), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.To) != 1 || d.To[0] != "h.becker@scootworld.de" {
			t.Errorf("signal %s: To %v, want From", sig, d.To)
		}
	}

	// An internationalised domain goes into the header as punycode; a
	// non-ASCII local part cannot, so From is used.
	v.Signals = nil
	m.ReplyTo = []decode.Address{{Addr: "compras@señal.es"}}
	if d, _ := r.Draft(m, v, rep(), testNow); len(d.To) != 1 || d.To[0] != "compras@xn--seal-hqa.es" {
		t.Errorf("IDN Reply-To: To %v", d.To)
	}
	m.ReplyTo = []decode.Address{{Addr: "señor@example.es"}}
	if d, _ := r.Draft(m, v, rep(), testNow); len(d.To) != 1 || d.To[0] != "h.becker@scootworld.de" {
		t.Errorf("UTF-8 local part: To %v", d.To)
	}

	// An existing "Re:" is not doubled.
	m.Subject = "RE: Inquiry"
	v.Signals = nil
	d, _ = r.Draft(m, v, rep(), testNow)
	if d.Subject != "RE: Inquiry" {
		t.Errorf("Subject %q", d.Subject)
	}
}

// Non-ASCII subjects are RFC 2047 encoded and mostly non-Latin bodies go
// base64; both decode back to the same text.
func TestEncodings(t *testing.T) {
	r := newRenderer(t, "")
	m := SampleMessage()
	m.Subject = "Запрос цены: самокаты ER-K200 для сети магазинов в Москве и Санкт-Петербурге"
	m.Text = "Здравствуйте! Нас интересует ER-K200."
	v := judge.Verdict{BuyerType: judge.Sourcing, ReplyPlan: judge.PlanQuote, Fields: SampleFields("ru")}
	d, err := r.Draft(m, v, rep(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	hdr := string(d.Bytes[:bytes.Index(d.Bytes, []byte("\r\n\r\n"))])
	if !strings.Contains(hdr, "Subject: =?utf-8?") {
		t.Errorf("subject not RFC 2047 encoded:\n%s", hdr)
	}
	for _, l := range strings.Split(hdr, "\r\n") {
		for _, c := range []byte(l) {
			if c >= 0x80 {
				t.Fatalf("8-bit header line %q", l)
			}
		}
	}
	p := parse(t, d.Bytes)
	if s, _ := p.h.Subject(); s != "Re: "+m.Subject {
		t.Errorf("Subject decodes to %q", s)
	}
	if !strings.Contains(p.text, "> Здравствуйте! Нас интересует ER-K200.") || !strings.Contains(p.text, "Цена за единицу") {
		t.Errorf("body:\n%s", p.text)
	}
}

// What the buyer writes cannot add headers, run template code, or blow up
// the header.
func TestInjection(t *testing.T) {
	r := newRenderer(t, "")
	big := strings.Repeat("Mega Scooter Holding ", 500) // ~10 KB
	m := SampleMessage()
	m.From = decode.Address{Name: "Evil\r\nBcc: victim@example.org\r\nX-Injected: yes", Addr: "evil@example.net"}
	m.ReplyTo = []decode.Address{{Addr: "x@example.net\r\nBcc: other@example.org"}}
	m.Subject = "Price {{.Supplier.Name}} {{template \"signature\" .}}\r\nBcc: victim@example.org"
	m.MessageID = "id@x>\r\nBcc: <victim@example.org"
	m.References = []string{"ok@x", "bad ref@x", "evil@x>\nX-Injected: 1"}
	m.Text = "{{.Rep.Address}} {{define \"body\"}}pwned{{end}}"
	f := SampleFields("en")
	f.Company = big
	f.Contact = "Bob\r\nBcc: victim@example.org"
	v := judge.Verdict{BuyerType: judge.Sourcing, ReplyPlan: judge.PlanCounterInquiry, Fields: f}

	d, err := r.Draft(m, v, rep(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	end := bytes.Index(d.Bytes, []byte("\r\n\r\n"))
	th, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(d.Bytes[:end+4])))
	if err != nil {
		t.Fatal(err)
	}
	fields := th.Fields()
	var names []string
	for fields.Next() {
		names = append(names, fields.Key())
	}
	wantNames := "Date From To Subject Message-Id Mime-Version Content-Type Content-Transfer-Encoding Content-Language"
	if got := strings.Join(names, " "); got != wantNames {
		t.Errorf("header fields %q, want %q", got, wantNames)
	}
	for _, l := range strings.Split(string(d.Bytes[:end]), "\r\n") {
		if len(l) > 998 {
			t.Errorf("header line of %d bytes", len(l))
		}
		if strings.HasPrefix(strings.ToLower(l), "bcc") || strings.HasPrefix(l, "X-Injected") {
			t.Errorf("injected header line %q", l)
		}
	}
	h := mail.HeaderFromMap(nil)
	h.Header.Header = th
	// Reply-To was unusable, so the draft goes to From; the name is one line.
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "evil@example.net" || strings.ContainsAny(to[0].Name, "\r\n") {
		t.Errorf("To %v (%v)", to, err)
	}
	subj, _ := h.Subject()
	if !strings.Contains(subj, "{{.Supplier.Name}}") || strings.Contains(subj, "Ningbo") || strings.ContainsAny(subj, "\r\n") {
		t.Errorf("Subject %q: template code must stay data", subj)
	}
	if h.Has("In-Reply-To") {
		t.Errorf("In-Reply-To from a broken Message-ID: %q", h.Get("In-Reply-To"))
	}
	if refs := h.Get("References"); refs != "" {
		t.Errorf("References %q without a valid inquiry id", refs)
	}
	p := parse(t, d.Bytes)
	if !strings.Contains(p.text, "> {{.Rep.Address}} {{define \"body\"}}pwned{{end}}") {
		t.Errorf("quoted template code not kept as text:\n%s", p.text)
	}
	if strings.Contains(p.text, big) {
		t.Errorf("10 KB company name not truncated in the body")
	}
	if len(d.Bytes) > 20000 {
		t.Errorf("draft of %d bytes from a 10 KB company name", len(d.Bytes))
	}
}

// copyTemplates copies the embedded templates into a folder ops could edit.
func copyTemplates(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := fs.ReadDir(templates.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".tmpl") {
			continue
		}
		b, _ := fs.ReadFile(templates.FS, e.Name())
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeAndTouch replaces path atomically (as editors do), with a distinct
// mtime whatever the file system's resolution, so a watcher never sees a
// half-written file.
func writeAndTouch(t *testing.T, path, text string, n int) {
	t.Helper()
	tmp := path + ".new~"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	mt := time.Now().Add(time.Duration(n) * time.Second)
	if err := os.Chtimes(tmp, mt, mt); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestBrokenTemplateKeepsLastGoodSet(t *testing.T) {
	dir := copyTemplates(t)
	r := newRenderer(t, dir)
	v := judge.Verdict{BuyerType: judge.Sourcing, ReplyPlan: judge.PlanQuote, Fields: SampleFields("en")}
	draftText := func() string {
		d, err := r.Draft(SampleMessage(), v, rep(), testNow)
		if err != nil {
			t.Fatal(err)
		}
		return parse(t, d.Bytes).text
	}
	if !strings.Contains(draftText(), "We are pleased to quote") {
		t.Fatal("unexpected starting text")
	}
	quote := filepath.Join(dir, "quote.en.tmpl")
	good, _ := os.ReadFile(quote)

	cases := []struct {
		name, text string
		want       *regexp.Regexp
	}{
		{"syntax error", "{{define \"body\"}}\nHello\n{{if .Buyer}}\n{{end}}", regexp.MustCompile(`quote\.en\.tmpl:\d+: .*unexpected EOF`)},
		{"unknown field", "{{define \"body\"}}\nHello\n\n{{.Fields.Turnover}}\n{{end}}", regexp.MustCompile(`quote\.en\.tmpl:4:\d+: executing "body" at <\.Fields\.Turnover>: can't evaluate field Turnover`)},
		{"unknown function", "{{define \"body\"}}{{shout .Buyer}}{{end}}", regexp.MustCompile(`quote\.en\.tmpl:1: function "shout" not defined`)},
		{"no body", "{{define \"subject\"}}x{{end}}", regexp.MustCompile(`quote\.en\.tmpl: defines no "body"`)},
	}
	for i, c := range cases {
		writeAndTouch(t, quote, c.text, i+1)
		if !r.Changed() {
			t.Errorf("%s: change not noticed", c.name)
		}
		err := r.Reload()
		if err == nil || !c.want.MatchString(err.Error()) {
			t.Errorf("%s: Reload error %v, want match of %s", c.name, err, c.want)
		}
		if !strings.HasPrefix(err.Error(), dir) {
			t.Errorf("%s: error %q does not start with the file path", c.name, err)
		}
		if errs := r.Check(); len(errs) == 0 || !c.want.MatchString(errs[0].Error()) {
			t.Errorf("%s: Check %v", c.name, errs)
		}
		if !strings.Contains(draftText(), "We are pleased to quote") {
			t.Errorf("%s: last good set not kept", c.name)
		}
	}

	// Fixed (and reworded): the new text is used.
	writeAndTouch(t, quote, strings.Replace(string(good), "We are pleased to quote", "Here is our quotation", 1), 10)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(draftText(), "Here is our quotation") {
		t.Error("fixed template not used")
	}
	if errs := r.Check(); len(errs) != 0 {
		t.Errorf("Check on a good set: %v", errs)
	}
}

func TestWatchReloads(t *testing.T) {
	dir := copyTemplates(t)
	r := newRenderer(t, dir)
	done := make(chan struct{})
	reports := make(chan error, 10)
	go r.Watch(done, 10*time.Millisecond, func(err error) { reports <- err })
	defer close(done)

	quote := filepath.Join(dir, "guarded.en.tmpl")
	writeAndTouch(t, quote, "{{define \"body\"}}{{if}}{{end}}", 1)
	select {
	case err := <-reports:
		if err == nil || !strings.Contains(err.Error(), "guarded.en.tmpl:1") {
			t.Errorf("broken edit reported as %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("broken edit not reported")
	}
	writeAndTouch(t, quote, "{{define \"body\"}}Thank you.{{end}}", 2)
	select {
	case err := <-reports:
		if err != nil {
			t.Errorf("good edit reported as %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("good edit not reloaded")
	}
	d, err := r.Draft(SampleMessage(), judge.Verdict{BuyerType: judge.IntelProbe, ReplyPlan: judge.PlanGuarded}, rep(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(parse(t, d.Bytes).text, "Thank you.\n") {
		t.Errorf("watched edit not in use: %q", parse(t, d.Bytes).text)
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	if errs := CheckDir("", nil); len(errs) != 0 {
		t.Fatalf("embedded templates: %v", errs)
	}
	dir := copyTemplates(t)
	os.Remove(filepath.Join(dir, "need-time.en.tmpl"))
	os.WriteFile(filepath.Join(dir, "quote.es.tmpl"), []byte("{{define \"body\"}}\n{{.Nope}}{{end}}"), 0o644)
	os.WriteFile(filepath.Join(dir, "not-selling-now.pt.tmpl"), []byte("{{define \"body\"}}{{if .Embargoed}}\n{{.Fields.Embargo}}{{end}}{{end}}"), 0o644)
	os.WriteFile(filepath.Join(dir, "reply.en.tmpl"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "quote.vip.en.tmpl"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "common.fr.tmpl"), []byte("{{define \"greeting\"}}{{end"), 0o644)
	errs := CheckDir(dir, SampleSupplier())
	var all []string
	for _, e := range errs {
		all = append(all, e.Error())
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{
		`no template for plan "need-time" in "en"`,
		"quote.es.tmpl:2:2: executing \"body\" at <.Nope>",
		"not-selling-now.pt.tmpl:2:9: executing \"body\" at <.Fields.Embargo>", // a branch only the embargo sample takes
		`reply.en.tmpl: unknown reply plan "reply"`,
		`quote.vip.en.tmpl: unknown buyer type "vip"`,
		"common.fr.tmpl:1: unclosed action",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("Check lacks %q in:\n%s", want, joined)
		}
	}
	if _, err := New(dir, SampleSupplier()); err == nil {
		t.Error("New accepted a broken set")
	}
}

// Golden drafts: header block (Message-ID wildcarded) and decoded text.
// Run with -update to rewrite them after changing a template on purpose.
func TestGolden(t *testing.T) {
	r := newRenderer(t, "")
	cases := []struct {
		name, plan, bt, lang string
	}{
		{"quote.en", judge.PlanQuote, judge.Sourcing, "en"},
		{"quote.market-entry.en", judge.PlanQuote, judge.MarketEntry, "en"},
		{"not-selling-now.en", judge.PlanNotSellingNow, judge.Sourcing, "en"},
		{"cannot-fulfil.en", judge.PlanCannotFulfil, judge.Sourcing, "en"},
		{"sample-terms.en", judge.PlanSampleTerms, judge.SampleSeeking, "en"},
		{"counter-inquiry.en", judge.PlanCounterInquiry, judge.InfoGathering, "en"},
		{"not-urgent.en", judge.PlanNotUrgent, judge.InfoGathering, "en"},
		{"need-time.en", judge.PlanNeedTime, judge.Sourcing, "en"},
		{"guarded.en", judge.PlanGuarded, judge.IntelProbe, "en"},
		{"quote.es", judge.PlanQuote, judge.Sourcing, "es"},
		{"quote.ru", judge.PlanQuote, judge.Sourcing, "ru"},
		{"counter-inquiry.fr", judge.PlanCounterInquiry, judge.MarketEntry, "fr"},
		{"not-selling-now.pt", judge.PlanNotSellingNow, judge.Sourcing, "pt"},
		{"need-time.ar", judge.PlanNeedTime, judge.Sourcing, "ar"},
		{"guarded.ru", judge.PlanGuarded, judge.IntelProbe, "ru"},
	}
	msgID := regexp.MustCompile(`(?m)^Message-Id: <draft\.\d+\.[0-9a-f]+@everride-scooter\.com>`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := judge.Verdict{BuyerType: c.bt, Grade: "A", ReplyPlan: c.plan, Rep: "lily.chen", Fields: SampleFields(c.lang)}
			if c.plan == judge.PlanQuote || c.plan == judge.PlanCounterInquiry {
				f := v.Fields
				f.Models, f.ModelQuantity, f.OtherProducts = []string{"ER-K200", "ER-K3 Mini"}, map[string]int{"ER-K200": 1800, "ER-K3 Mini": 3300}, nil
				if c.plan == judge.PlanCounterInquiry {
					f.Company, f.Address, f.Phone, f.Website = "", "", "", ""
				}
				v.Fields = f
			}
			d, err := r.Draft(SampleMessage(), v, rep(), testNow)
			if err != nil {
				t.Fatal(err)
			}
			end := bytes.Index(d.Bytes, []byte("\r\n\r\n"))
			hdr := strings.ReplaceAll(string(d.Bytes[:end]), "\r\n", "\n")
			hdr = msgID.ReplaceAllString(hdr, "Message-Id: <*>")
			got := hdr + "\n\n" + parse(t, d.Bytes).text
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file; got:\n%s", path, got)
			}
		})
	}
}

// Long non-ASCII names and subjects are cut and folded into legal lines.
func TestLongNonASCIIHeaders(t *testing.T) {
	r := newRenderer(t, "")
	m := SampleMessage()
	m.From.Name = strings.Repeat("Торговая компания ", 600) // ~10 KB
	m.Subject = strings.Repeat("استفسار عن السكوترات ", 500)
	v := judge.Verdict{BuyerType: judge.Sourcing, ReplyPlan: judge.PlanQuote, Fields: SampleFields("ar")}
	d, err := r.Draft(m, v, rep(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	end := bytes.Index(d.Bytes, []byte("\r\n\r\n"))
	for _, l := range strings.Split(string(d.Bytes[:end]), "\r\n") {
		if len(l) > 998 {
			t.Errorf("header line of %d bytes: %.80s…", len(l), l)
		}
	}
	p := parse(t, d.Bytes)
	subj, _ := p.h.Subject()
	if n := len([]rune(subj)); n > maxSubject || !strings.HasPrefix(subj, "Re: استفسار") {
		t.Errorf("subject of %d runes: %.60q", n, subj)
	}
	to, err := p.h.AddressList("To")
	if err != nil || len(to) != 1 || len([]rune(to[0].Name)) > maxName || to[0].Address != m.From.Addr {
		t.Errorf("To %v (%v)", to, err)
	}
	if len(d.Bytes) > 40000 {
		t.Errorf("draft of %d bytes", len(d.Bytes))
	}
}
