package draft

import (
	"time"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/extract"
	"github.com/tradesift/tradesift/filter/judge"
)

// SampleSupplier is the reference supplier of shared/profile.md, used when
// templates are checked without a configuration.
func SampleSupplier() *config.Supplier {
	return &config.Supplier{
		Name:            "Ningbo Everride Scooter Co., Ltd.",
		LocalName:       "宁波易骑滑板车有限公司",
		Domain:          "everride-scooter.com",
		Website:         "www.everride-scooter.com",
		Address:         "Ningbo, Zhejiang, China",
		Phone:           "+86 574 0000 0000",
		Port:            "Ningbo",
		Currency:        "USD",
		LeadTimeMinDays: 35,
		LeadTimeMaxDays: 45,
		PaymentTerms:    []string{"30% T/T deposit, 70% against B/L copy", "L/C at sight for orders over USD 50,000"},
		Certifications:  []string{"CE", "EN 14619", "EN 71", "UL 2272", "RoHS", "ISO 9001"},
		SamplePolicy:    "Samples are charged at unit price plus courier collect; the sample cost is refunded on a first order at or above MOQ.",
		StandardColors:  []string{"black", "white", "red", "blue", "pink", "green"},
		Embargoed:       []string{"IR", "KP", "SY", "CU"},
		Products: []config.Product{
			{Model: "ER-K200", Name: "adult aluminium kick scooter, 200 mm wheels, foldable", PriceMin: 28, PriceMax: 35, Floor: 25, MOQ: 300, CapacityMonth: 30000, PerContainer: map[string]int{"20GP": 760, "40HQ": 1800}, Certs: []string{"EN 14619"}},
			{Model: "ER-K3 Mini", Name: "kids' 3-wheel scooter, light-up PU wheels", PriceMin: 9, PriceMax: 12, Floor: 8, MOQ: 500, CapacityMonth: 40000, PerContainer: map[string]int{"20GP": 1400, "40HQ": 3300}, Certs: []string{"EN 71"}},
			{Model: "ER-X Pro", Name: "stunt / pro scooter, chromoly bars", PriceMin: 38, PriceMax: 55, Floor: 34, MOQ: 200, CapacityMonth: 8000, PerContainer: map[string]int{"20GP": 600, "40HQ": 1400}},
			{Model: "ER-E8", Name: "electric scooter, 350 W, 36 V 10.4 Ah", PriceMin: 165, PriceMax: 210, Floor: 150, MOQ: 100, CapacityMonth: 3000, PerContainer: map[string]int{"20GP": 150, "40HQ": 360}, Certs: []string{"CE", "UL 2272"}, Restricted: []string{"AU", "NZ", "IN"}},
			{Model: "ER-Snow", Name: "ski / snow scooter", PriceMin: 45, PriceMax: 60, Floor: 40, MOQ: 200, CapacityMonth: 5000, PerContainer: map[string]int{"20GP": 300, "40HQ": 700}, SeasonStart: "03-01", SeasonEnd: "07-31"},
			{Model: "parts", Name: "spare parts: wheels, grips, brakes, folding clamps", PriceMin: 0.5, PriceMax: 6, MOQ: 1000, CapacityMonth: 200000},
		},
		Reps: []config.Rep{
			{ID: "lily.chen", Name: "Lily Chen", Address: "lily.chen@everride-scooter.com", Title: "Sales Manager, Europe"},
			{ID: "kevin.wang", Name: "Kevin Wang", Address: "kevin.wang@everride-scooter.com", Title: "Sales Manager, Americas"},
			{ID: "amy.zhou", Name: "Amy Zhou", Address: "amy.zhou@everride-scooter.com", Title: "Sales Manager, Middle East, Africa, Asia and Oceania"},
			{ID: "david.li", Name: "David Li", Address: "david.li@everride-scooter.com", Title: "Sales Director"},
		},
		DefaultRep: "david.li",
	}
}

// SampleMessage is an inquiry with every field set, for checks and tests.
func SampleMessage() *decode.Message {
	return &decode.Message{
		Subject:    "Inquiry: ER-K200 kick scooters, 1,800 pcs FOB Ningbo",
		From:       decode.Address{Name: "Hans Becker", Addr: "h.becker@scootworld.de"},
		To:         []decode.Address{{Addr: "sales@everride-scooter.com"}},
		Date:       time.Date(2026, 11, 23, 9, 14, 0, 0, time.FixedZone("", 3600)),
		HasDate:    true,
		MessageID:  "20261123091400.4711@mail.scootworld.de",
		References: []string{"older.1@mail.scootworld.de"},
		Text:       "Dear Sir or Madam,\n\nwe are interested in your ER-K200 kick scooter, 1,800 pcs (one 40' HQ),\nFOB Ningbo, payment T/T. Target price USD 27.\n\nPlease send your best offer.",
		Signature:  "Hans Becker\nPurchasing, ScootWorld GmbH\nHafenstr. 12, 20457 Hamburg\n+49 40 1234567\nwww.scootworld.de",
	}
}

// SampleFields are extracted fields with everything set.
func SampleFields(lang string) extract.Fields {
	q, days, price := 1800, 30, 24.0
	return extract.Fields{
		Models:           []string{"ER-K200", "ER-Snow", "ER-E8"},
		OtherProducts:    []string{"hoverboard"},
		Quantity:         &q,
		ModelQuantity:    map[string]int{"ER-K200": 1800, "ER-Snow": 6000, "ER-E8": 360},
		Incoterm:         "FOB",
		Payment:          []string{"T/T"},
		TargetPrice:      &price,
		TargetPriceModel: "ER-K200",
		Currency:         "USD",
		DeliveryDays:     &days,
		Company:          "ScootWorld GmbH",
		Contact:          "Hans Becker",
		Address:          "Hafenstr. 12, 20457 Hamburg",
		Phone:            "+49 40 1234567",
		Website:          "www.scootworld.de",
		Country:          "AU",
		Language:         lang,
	}
}

// samples are the data every template is rendered with when loaded: full
// fields and empty ones, for every buyer type.
func (r *Renderer) samples(e *entry) []*Data {
	sup := r.sup
	if sup == nil {
		sup = SampleSupplier()
	}
	rep := config.Rep{ID: "lily.chen", Name: "Lily Chen", Address: "lily.chen@everride-scooter.com", Title: "Sales Manager, Europe", Phone: "+86 574 0000 0001"}
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	full := SampleMessage()
	empty := &decode.Message{From: decode.Address{Addr: "someone@example.com"}}
	bts := buyerTypes
	if e.bt != "" {
		bts = []string{e.bt}
	}
	var out []*Data
	for _, bt := range bts {
		for i, m := range []*decode.Message{full, empty} {
			v := judge.Verdict{BuyerType: bt, Grade: "B", ReplyPlan: e.plan, Rep: rep.ID}
			if i == 0 {
				v.Fields = SampleFields(e.lang)
				v.Signals = []judge.Signal{{Name: "sample", Weight: 1}}
				if bt == judge.IntelProbe {
					v.ProbeKind = "copycat"
				}
			}
			d := newData(m, v, sup, rep, now)
			d.Lang, d.tmpl = e.lang, e.t
			out = append(out, d)
		}
	}
	// One more for the branches the full sample leaves out: an embargoed
	// country, in-season products, no target price or delivery time.
	f := SampleFields(e.lang)
	f.Country, f.Models, f.ModelQuantity, f.TargetPrice, f.DeliveryDays = "IR", []string{"ER-K200"}, nil, nil, nil
	v := judge.Verdict{BuyerType: bts[0], Grade: "A", ReplyPlan: e.plan, Rep: rep.ID, Fields: f}
	d := newData(full, v, sup, rep, now.AddDate(0, -6, 0))
	d.Lang, d.tmpl = e.lang, e.t
	return append(out, d)
}
