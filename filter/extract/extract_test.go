package extract

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tradesift/tradesift/filter/decode"
)

func msg(from, subject, text string) *decode.Message {
	m := &decode.Message{Subject: subject, Text: text,
		Date: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), HasDate: true}
	if i := strings.IndexByte(from, '<'); i >= 0 {
		m.From = decode.Address{Name: strings.TrimSpace(from[:i]), Addr: strings.Trim(from[i:], "<>")}
	} else {
		m.From = decode.Address{Addr: from}
	}
	return m
}

func ip(v int) *int { return &v }

func qstr(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestQuantity(t *testing.T) {
	x := exampleExtractor(t)
	cases := []struct {
		text   string
		want   *int
		models []string
	}{
		{"Please quote 2.000 pcs of ER-K200, FOB Ningbo.", ip(2000), []string{"ER-K200"}},
		{"We need 2,000 pcs ER-K200.", ip(2000), []string{"ER-K200"}},
		{"Quantity: 1 400 шт. снегокатов ER-Snow", ip(1400), []string{"ER-Snow"}},
		{"Price for 1x40HQ of ER-K200 please.", ip(1800), []string{"ER-K200"}},
		{"ER-K3 Mini, 2 x 20GP, mixed colours", ip(2800), []string{"ER-K3 Mini"}},
		{"We want one 40' container of electric scooters.", ip(360), []string{"ER-E8"}},
		{"Order: 2k pcs erk200", ip(2000), []string{"ER-K200"}},
		{"For reference only, we bought 4,000 pcs of K200 last year.", nil, []string{"ER-K200"}},
		{"Maybe 10,000 pcs ER-K200 next year. Now please send 3 free samples.", ip(3), []string{"ER-K200"}},
		{"Please send free samples, 1 pc each: K200, K3 Mini and X Pro.", ip(3), []string{"ER-K200", "ER-K3 Mini", "ER-X Pro"}},
		{"ER-K200 quantity: 2,000 pcs total -- 1,200 black / 800 red\nPacking: 4 pcs per carton", ip(2000), []string{"ER-K200"}},
		{"ER-K200: 500 pcs\nER-E8: 100 pcs", ip(600), []string{"ER-K200", "ER-E8"}},
		{"Model ER-K200 (200 mm wheels, foldable), 300 units", ip(300), []string{"ER-K200"}},
		{"We would like to start with 400 hoverboards.", ip(400), nil},
		{"Front wheel (K3 Mini) 3,000 pcs\nRear brake (K3 Mini) 1,000 pcs\nPlease quote these spare parts.", ip(4000), []string{"parts"}},
		{"我们需要电动滑板车 200台，CIF 汉堡。", ip(200), []string{"ER-E8"}},
		{"ER-X Pro キックボード 400台、FOB寧波でお見積りください。", ip(400), []string{"ER-X Pro"}},
		{"نرغب في شراء 1000 قطعة من السكوتر الكهربائي ER-E8", ip(1000), []string{"ER-E8"}},
		{"Nous voulons 1 000 pièces de trottinettes enfant.", ip(1000), []string{"ER-K3 Mini"}},
		{"Pourriez-vous indiquer, pour référence, votre prix pour 1 000 pièces de ER-K200 ?", nil, []string{"ER-K200"}},
		{"Can you send me an ER-E8 free of charge for a review?", ip(1), []string{"ER-E8"}},
		{"Our retail price is USD 99 and we have 14 stores.", nil, nil},
		{"Could you send me 1 free ER-E8 for a review?", ip(1), []string{"ER-E8"}},
		{"Necesito 2 muestras gratis del ER-E8 y 2 del ER-K200.", ip(4), []string{"ER-E8", "ER-K200"}},
		{"请免费寄送 ER-K3 Mini 两台及 ER-K200 一台做为样品。", ip(3), []string{"ER-K3 Mini", "ER-K200"}},
		{"Would you send us 2 of your ER-K3 Mini to review?", ip(2), []string{"ER-K3 Mini"}},
		{"Kindly send free samples of ER-K200 and ER-X Pro, one (1) piece each.", ip(2), []string{"ER-K200", "ER-X Pro"}},
	}
	for _, c := range cases {
		f := x.Extract(msg("buyer@example.com", "", c.text))
		if qstr(f.Quantity) != qstr(c.want) {
			t.Errorf("%q: quantity %v, want %v", c.text, qstr(f.Quantity), qstr(c.want))
		}
		if c.models == nil {
			c.models = []string{}
		}
		if !reflect.DeepEqual(f.Models, c.models) {
			t.Errorf("%q: models %q, want %q", c.text, f.Models, c.models)
		}
	}
}

func TestModelsAndProducts(t *testing.T) {
	x := exampleExtractor(t)
	cases := []struct {
		text   string
		models []string
		other  []string
	}{
		{"Interested in your ER K200 and the K3 Minis.", []string{"ER-K200", "ER-K3 Mini"}, nil},
		{"Price list for kick scooter and stunt scooter please", []string{"ER-K200", "ER-X Pro"}, nil},
		{"Buscamos patinetes eléctricos para nuestras tiendas", []string{"ER-E8"}, nil},
		{"Wir suchen Schneeroller für den Verleih", []string{"ER-Snow"}, nil},
		{"Prosimy o ofertę na hulajnogi dla dzieci", []string{"ER-K3 Mini"}, nil},
		{"Ищем поставщика снегокатов и запчастей: колёса, грипсы", []string{"ER-Snow", "parts"}, nil},
		{"请报儿童滑板车的价格", []string{"ER-K3 Mini"}, nil},
		{"نريد سكوتر كهربائي", []string{"ER-E8"}, nil},
		{"Please quote your hoverboards and e-bikes", nil, []string{"hoverboard", "e-bike"}},
		{"We sell skateboards; please quote 300 pcs ER-X Pro", []string{"ER-X Pro"}, nil},
		{"We need spare parts support for the ER-E8 battery", []string{"ER-E8"}, nil},
		{"Full price list for K200, K3 Mini, X Pro, E8, Snow and parts", []string{"ER-K200", "ER-K3 Mini", "ER-X Pro", "ER-E8", "ER-Snow", "parts"}, nil},
		{"Let it snow, we are pro buyers", nil, nil},
		{"Компания «Самокат-Опт» просит прайс-лист", nil, nil},
	}
	for _, c := range cases {
		f := x.Extract(msg("buyer@example.com", "", c.text))
		if c.models == nil {
			c.models = []string{}
		}
		if !reflect.DeepEqual(f.Models, c.models) {
			t.Errorf("%q: models %q, want %q", c.text, f.Models, c.models)
		}
		if !reflect.DeepEqual(f.OtherProducts, c.other) {
			t.Errorf("%q: other %q, want %q", c.text, f.OtherProducts, c.other)
		}
	}
}

func TestTerms(t *testing.T) {
	x := exampleExtractor(t)
	cases := []struct {
		text     string
		incoterm string
		payment  []string
		price    float64
		currency string
		model    string
		days     int
	}{
		{"ER-K200 500 pcs, FOB Ningbo, 30% T/T deposit, balance by L/C", "FOB", []string{"T/T", "deposit", "L/C"}, 0, "", "", 0},
		{"What does FOB mean? And what is the difference between FOB and CIF?", "", nil, 0, "", "", 0},
		{"Was bedeutet FOB Ningbo genau?\nBitte CIF Hamburg anbieten.", "CIF", nil, 0, "", "", 0},
		{"Our target price is USD 7.20 per piece for the K3 Mini.", "", nil, 7.2, "USD", "ER-K3 Mini", 0},
		{"Unser Zielpreis liegt bei 29,00 USD FOB für den ER-K200.", "FOB", nil, 29, "USD", "ER-K200", 0},
		{"Hoy pagamos USD 30 FOB por un modelo equivalente a su ER-X Pro.", "FOB", nil, 30, "USD", "ER-X Pro", 0},
		{"Retail price around 99 EUR.", "", nil, 0, "", "", 0},
		{"Goods must be shipped within 20 days from the deposit.", "", []string{"deposit"}, 0, "", "", 20},
		{"Can you ship in 3 weeks?", "", nil, 0, "", "", 21},
		{"Delivery before 15 March please.", "", nil, 0, "", "", 14},
		{"Pago por PayPal o Western Union", "", []string{"PayPal", "Western Union"}, 0, "", "", 0},
		{"取引条件：FOB寧波", "FOB", nil, 0, "", "", 0},
		{"Empresa XYZ, CIF: B12345678", "", nil, 0, "", "", 0},
	}
	for _, c := range cases {
		f := x.Extract(msg("buyer@example.com", "", c.text))
		if f.Incoterm != c.incoterm {
			t.Errorf("%q: incoterm %q, want %q", c.text, f.Incoterm, c.incoterm)
		}
		if !reflect.DeepEqual(f.Payment, c.payment) {
			t.Errorf("%q: payment %q, want %q", c.text, f.Payment, c.payment)
		}
		price := 0.0
		if f.TargetPrice != nil {
			price = *f.TargetPrice
		}
		if price != c.price || f.Currency != c.currency || f.TargetPriceModel != c.model {
			t.Errorf("%q: target %v %q %q, want %v %q %q", c.text, price, f.Currency, f.TargetPriceModel, c.price, c.currency, c.model)
		}
		days := 0
		if f.DeliveryDays != nil {
			days = *f.DeliveryDays
		}
		if days != c.days {
			t.Errorf("%q: delivery %d days, want %d", c.text, days, c.days)
		}
	}
}

func TestIdentity(t *testing.T) {
	x := exampleExtractor(t)
	cases := []struct {
		from, text       string
		company, country string
	}{
		{"Jane Roe <jane@acme-trading.com>", "We are Acme Trading LLC, a distributor in Ohio.\n\nJane Roe\nAcme Trading LLC\n12 Main Street, Columbus, OH 43004, USA", "Acme Trading LLC", "US"},
		{"x@mail.ru", "Компания ООО «Ромашка» просит прайс.\nС уважением,\nИван\nООО «Ромашка», Москва", "ООО «Ромашка»", "RU"},
		{"s@sakura.co.jp", "株式会社サクラ購買部の田中です。\n\n株式会社サクラ　購買部\n東京都港区1-2-3", "株式会社サクラ", "JP"},
		{"m@kubus.pl", "Hurtownia Kubuś Sp. z o.o. zaprasza.\nul. Długa 5, 00-001 Warszawa\ntel. +48 22 555 11 22", "Hurtownia Kubuś Sp. z o.o.", "PL"},
		{"k@kl.com.my", "我们是马来西亚的 KL Ride-On Sdn. Bhd.，主要经营玩具。", "KL Ride-On Sdn. Bhd.", "MY"},
		{"a@example.com", "نحن شركة النور للتجارة، موزع في دبي.\nهاتف: +971 4 555 1234", "شركة النور للتجارة", "AE"},
		{"someone@yahoo.fr", "Bonjour, je voudrais des échantillons.", "", ""},
		{"buyer@gmail.com", "I run a small shop in Lagos.", "", "NG"},
		{"b@example.it", "Buongiorno, siamo interessati.", "", "IT"},
		{"c@example.com", "Hi, we are a shop.\n\nTom\nPh +61 2 9555 0100", "", "AU"},
		{"sales@everride-scooter.com", "Ningbo Everride Scooter Co., Ltd. thanks you.", "", ""},
		{"d@example.com", "We buy from a factory in China and ship to Hamburg, Germany.", "", "DE"},
		{"e@example.com", "Hi, we are a small shop in Palo Alto, CA.", "", "US"},
		{"f@example.com", "Greetings from Columbus, Ohio!", "", "US"},
		{"Derek Lin <derek@voltloop.io>", "Hi, we are a startup.\n\nThanks,\nDerek Lin\nVoltLoop", "VoltLoop", ""},
		{"kofi@gmail.com", "Hello.\n\nKofi Asante\nCEO, Asante Global Ventures\nAccra, Ghana", "Asante Global Ventures", "GH"},
		{"t@sakura-shoji.co.jp", "株式会社さくら商事の田中です。", "株式会社さくら商事", "JP"},
		{"s@minato.co.jp", "ミナトスポーツ株式会社の佐藤です。", "ミナトスポーツ株式会社", "JP"},
		{"k@hanbit.kr", "한빛레저 주식회사 김철수입니다.", "한빛레저 주식회사", "KR"},
		{"o@sam.ru", "С уважением,\nТД Самокат-Опт", "ТД Самокат-Опт", "RU"},
		{"Ana Ruiz <ana.ruiz@hotmail.com>", "Hola, quiero precios.\n\nGracias\nAna Ruiz\nPatines Sur – Sevilla", "Patines Sur", "ES"},
		{"Karim Benali <kb@hotmail.fr>", "Bonjour.\n\nKarim Benali\nOran, Algérie", "", "DZ"},
		{"Jo Lee <jo@gmail.com>", "Hi.\n\nJo Lee\nPurchasing Manager", "", ""},
	}
	for _, c := range cases {
		f := x.Extract(msg(c.from, "", c.text))
		if f.Company != c.company {
			t.Errorf("%q: company %q, want %q", c.text, f.Company, c.company)
		}
		if f.Country != c.country {
			t.Errorf("%q: country %q, want %q", c.text, f.Country, c.country)
		}
	}
	f := x.Extract(msg(`"Vogel, Katrin" <k.vogel@rollerwerk.de>`, "", "Rollerwerk GmbH\nIndustriestraße 14\n34123 Kassel\nTel. +49 561 4087 220 | www.rollerwerk.de"))
	if f.Contact != "Katrin Vogel" || f.Phone != "+49 561 4087 220" || f.Website != "www.rollerwerk.de" || f.Address != "Industriestraße 14" {
		t.Errorf("contact %q phone %q website %q address %q", f.Contact, f.Phone, f.Website, f.Address)
	}
}

func TestLanguage(t *testing.T) {
	x := exampleExtractor(t)
	cases := map[string]string{
		"Hello, we would like to receive your price list for the kick scooters.":                                                                                                                     "en",
		"Buenos días, somos una empresa de juguetes y queremos importar patinetes.":                                                                                                                  "es",
		"Olá, tudo bem? Gostaria de saber o preço dos patinetes para o Brasil.":                                                                                                                      "pt",
		"Bonjour, nous souhaitons recevoir votre catalogue et vos prix pour les trottinettes.":                                                                                                       "fr",
		"Sehr geehrte Damen und Herren, wir möchten ein Angebot für Tretroller erhalten.":                                                                                                            "de",
		"Buongiorno, siamo interessati ai vostri monopattini per la nostra catena di negozi.":                                                                                                        "it",
		"Merhaba, scooter modelleriniz için fiyat listesi rica ederiz. Teşekkürler.":                                                                                                                 "tr",
		"Dzień dobry, prosimy o ofertę na hulajnogi dla dzieci. Z poważaniem.":                                                                                                                       "pl",
		"Здравствуйте! Просим прислать прайс-лист на самокаты.":                                                                                                                                      "ru",
		"السلام عليكم، نرجو إرسال قائمة الأسعار.":                                                                                                                                                    "ar",
		"您好，请提供贵司滑板车的目录和价格。":                                                                                                                                                                         "zh",
		"はじめてご連絡いたします。キックボードのお見積りをお願いいたします。":                                                                                                                                                         "ja",
		"안녕하세요. 전동킥보드 가격을 알려주세요.":                                                                                                                                                                    "ko",
		"Goedemiddag, wij ontvangen graag uw prijslijst voor de steps.":                                                                                                                              "nl",
		"Vielen Dank für Ihre Nachricht. Ich bin bis Montag im Urlaub und habe keinen Zugriff auf meine E-Mails. Thank you for your message. I am on holiday until Monday with no access to e-mail.": "de",
	}
	for text, want := range cases {
		if got := x.Extract(msg("a@example.com", "", text)).Language; got != want {
			t.Errorf("%q: language %q, want %q", text, got, want)
		}
	}
}

func TestCustomCues(t *testing.T) {
	x := exampleExtractor(t)
	cases := map[string][]string{
		"Our logo laser-engraved on the deck only, standard colours.":    nil,
		"Our logo on the deck and on the stem, frame in Pantone 7710 C.": {"custom-colour", "logo-beyond-deck"},
		"Caja de cartón con nuestro diseño propio a todo color.":         {"custom-packaging"},
		"We need a new mould for our own deck shape.":                    {"custom-mould"},
	}
	for text, want := range cases {
		if got := x.Extract(msg("a@example.com", "", text)).Custom; !reflect.DeepEqual(got, want) {
			t.Errorf("%q: custom %q, want %q", text, got, want)
		}
	}
}

func TestEmpty(t *testing.T) {
	x := exampleExtractor(t)
	f := x.Extract(&decode.Message{})
	if f.Quantity != nil || len(f.Models) != 0 || f.Models == nil || f.Company != "" {
		t.Errorf("empty message gave %+v", f)
	}
	_ = x.Extract(nil)
}

func TestMoreCases(t *testing.T) {
	x := exampleExtractor(t)
	f := x.Extract(msg("a@example.com", "", "We need 300-500 pcs ER-K200, fob price please. Our budget is USD 27 per unit."))
	if qstr(f.Quantity) != 300 || f.Incoterm != "FOB" || f.TargetPrice == nil || *f.TargetPrice != 27 {
		t.Errorf("got quantity %v incoterm %q target %v", qstr(f.Quantity), f.Incoterm, f.TargetPrice)
	}
	f = x.Extract(msg("a@example.com", "", "Best regards,\nJohn\nAcme Trading Company\n+1 212 555 0100"))
	if f.Company != "Acme Trading Company" || f.Country != "US" {
		t.Errorf("got company %q country %q", f.Company, f.Country)
	}
}
