package extract

import (
	"reflect"
	"testing"
)

// TestUnseen runs whole inquiries written apart from the corpus, in the
// shapes buyers use, to check that the cues generalise.
func TestUnseen(t *testing.T) {
	x := exampleExtractor(t)
	cases := []struct {
		from, subject, text, sig string
		models                   []string
		qty                      *int
		incoterm, company        string
		country, lang            string
	}{
		{
			"Tom Baker <tom@northwheels.co.uk>", "Enquiry: kick scooters",
			"Hi,\n\nWe'd like prices for 500pcs of your K200 and 300pcs ER-X Pro, CIF Felixstowe.\nPayment by L/C at sight.\n",
			"Tom Baker\nBuyer\nNorth Wheels Limited\n22 Dock Road, Liverpool L3 4AB\nTel: 0151 555 0101\nwww.northwheels.co.uk",
			[]string{"ER-K200", "ER-X Pro"}, ip(800), "CIF", "North Wheels Limited", "GB", "en",
		},
		{
			"Klaus Meier <k.meier@roller-meier.de>", "Anfrage Elektroroller",
			"Guten Tag,\n\nwir möchten 2 x 20' GP Ihres ER-E8 bestellen, Lieferung DDP Hamburg.\nBitte senden Sie uns Ihr Angebot.\n",
			"Mit freundlichen Grüßen\nKlaus Meier\nRoller Meier KG\nHauptstraße 5, 20095 Hamburg\nTel. +49 40 555 1234",
			[]string{"ER-E8"}, ip(300), "DDP", "Roller Meier KG", "DE", "de",
		},
		{
			"Ana Gómez <compras@jugueteriaelsol.com.ar>", "Cotización monopatines para niños",
			"Hola, somos Juguetería El Sol S.R.L. de Córdoba. Queremos cotizar 1.000 unidades de patinetes para niños de 3 ruedas, FOB Ningbo. Gracias.",
			"Ana Gómez\nJuguetería El Sol S.R.L.\nAv. Colón 1234, Córdoba, Argentina",
			[]string{"ER-K3 Mini"}, ip(1000), "FOB", "Juguetería El Sol S.R.L.", "AR", "es",
		},
		{
			"Olga <olga.sport@yandex.ru>", "снегокаты",
			"Добрый день! Интересуют снегокаты, 300 штук, доставка до Новосибирска. Какая цена?",
			"",
			[]string{"ER-Snow"}, ip(300), "", "", "RU", "ru",
		},
		{
			"Ahmet <ahmet@yildizoyuncak.com.tr>", "Fiyat talebi",
			"Merhaba, çocuk scooterı için fiyat listesi rica ederiz. Referans olarak geçen yıl 5.000 adet aldık.",
			"Yıldız Oyuncak A.Ş.\nİstanbul, Türkiye",
			[]string{"ER-K3 Mini"}, nil, "", "Yıldız Oyuncak A.Ş.", "TR", "tr",
		},
		{
			"Wang <wang@hk-trading.com.hk>", "询价",
			"您好，我们需要500台电动滑板车，FOB宁波，请报价。谢谢！",
			"香港贸易有限公司\n电话：+852 2555 1234",
			[]string{"ER-E8"}, ip(500), "FOB", "香港贸易有限公司", "HK", "zh",
		},
		{
			"Pierre <pierre@glisse-alpes.fr>", "Demande",
			"Bonjour,\n\nPouvez-vous nous envoyer 2 échantillons de la trottinette des neiges ? Nous paierons les frais.\n",
			"Glisse Alpes SARL\n5 place du Marché, 38000 Grenoble",
			[]string{"ER-Snow"}, ip(2), "", "Glisse Alpes SARL", "FR", "fr",
		},
	}
	for _, c := range cases {
		m := msg(c.from, c.subject, c.text)
		m.Signature = c.sig
		f := x.Extract(m)
		if c.models == nil {
			c.models = []string{}
		}
		if !reflect.DeepEqual(f.Models, c.models) {
			t.Errorf("%s: models %q, want %q", c.subject, f.Models, c.models)
		}
		if qstr(f.Quantity) != qstr(c.qty) {
			t.Errorf("%s: quantity %v, want %v", c.subject, qstr(f.Quantity), qstr(c.qty))
		}
		if f.Incoterm != c.incoterm || f.Company != c.company || f.Country != c.country || f.Language != c.lang {
			t.Errorf("%s: incoterm %q company %q country %q language %q, want %q %q %q %q",
				c.subject, f.Incoterm, f.Company, f.Country, f.Language, c.incoterm, c.company, c.country, c.lang)
		}
	}
}
