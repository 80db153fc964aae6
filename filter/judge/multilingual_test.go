package judge

import (
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"

	"github.com/tradesift/tradesift/filter/decode"
)

// TestMultilingual: short inquiries written for this test (not from the
// corpus), several per type and language, through extract and the judge.
// They check that the cue vocabularies cover each language, not a corpus.
func TestMultilingual(t *testing.T) {
	j, cfg := testJudge(t)
	x := extractorFor(cfg)
	tests := []struct {
		name, from, subject, text, want string
	}{
		// sourcing
		{"it sourcing", "acquisti@ruotaveloce.it", "Ordine ER-K200",
			"Buongiorno, vorremmo ordinare 1.500 pezzi di ER-K200, FOB Ningbo, pagamento 30% T/T anticipo e saldo contro copia B/L. Spedizione entro fine ottobre.\n\nCordiali saluti\nMarco Bianchi\nRuota Veloce S.r.l.\nVia Roma 12, 20100 Milano\nTel. +39 02 5555 1234\nwww.ruotaveloce.it", Sourcing},
		{"pl sourcing", "zakupy@hulajmax.pl", "Zamówienie ER-K3 Mini",
			"Dzień dobry, chcemy zamówić 2000 szt. ER-K3 Mini, FOB Ningbo, płatność 30% T/T zaliczki, 70% po kopii B/L. Prosimy o fakturę proforma.\n\nPozdrawiam\nAnna Nowak\nHulajMax Sp. z o.o.\nul. Długa 5, 00-001 Warszawa\ntel. +48 22 555 12 34", Sourcing},
		{"ja sourcing", "buyer@kids-ride.co.jp", "ER-K3 Mini 注文について",
			"お世話になります。ER-K3 Mini を 1,400 台 注文したいと考えております。FOB 寧波、T/T 30% 前払い、残金は B/L コピーと引き換えでお願いします。見積書をお送りください。\n\nキッズライド株式会社\n購買部 田中\n東京都港区芝1-2-3\nTEL 03-5555-1234", Sourcing},
		// market-entry
		{"tr market entry", "info@yildizoyuncak.com.tr", "İlk ithalat - çocuk scooter",
			"Merhaba, ilk kez Çin'den ithalat yapacağız ve deneyimimiz yok. FOB ile CIF arasındaki fark nedir? Türkiye için hangi sertifikalar gerekli? Minimum sipariş miktarı nedir?\n\nYıldız Oyuncak Ltd. Şti.\nAtatürk Cad. 10, İzmir\nTel: +90 232 555 1234", MarketEntry},
		{"de market entry", "info@radhaus-keller.de", "Erstimport Tretroller",
			"Guten Tag, wir sind ein Fahrradgeschäft und möchten zum ersten Mal selbst importieren. Was bedeutet FOB genau, welche Zertifikate brauchen wir für den Verkauf in Deutschland, und wie funktioniert die Zollabwicklung? Wie hoch ist die Mindestbestellmenge für den ER-K200?\n\nRadhaus Keller GmbH\nBahnhofstr. 3, 79098 Freiburg\nTel. +49 761 555 123", MarketEntry},
		{"ko market entry", "buy@hanriver-mobility.kr", "전동 킥보드 수입 문의",
			"안녕하세요. 저희는 중국에서 처음 수입하는 회사입니다. 전동 킥보드 ER-E8 수입에 어떤 인증이 필요한지, 최소 주문 수량은 얼마인지 알려주세요.\n\n한강모빌리티 주식회사\n서울시 강남구 테헤란로 1\n전화 +82 2 555 1234", MarketEntry},
		// info-gathering
		{"it info", "acquisti@sportpiu.it", "Listino prezzi monopattini",
			"Buongiorno, lavoriamo già da anni con un fornitore cinese e siamo soddisfatti, ma ogni anno facciamo un confronto dei prezzi. Potete inviarci il catalogo e il listino prezzi dei monopattini per riferimento?\n\nSportPiù S.p.A.\nVia Torino 8, Torino\nwww.sportpiu.it", InfoGathering},
		{"ar info", "purchase@gulfwheels.ae", "طلب قائمة الأسعار",
			"السلام عليكم، نحن نتعامل مع مورد في الصين منذ سنوات، ونرغب في الحصول على الكتالوج وقائمة الأسعار للسكوترات للمقارنة.\n\nشركة عجلات الخليج\nدبي، الإمارات\nهاتف +971 4 555 1234", InfoGathering},
		{"ja info", "info@sakura-sports.jp", "カタログと価格表のお願い",
			"いつもお世話になっております。弊社は既存の仕入先から長年キックボードを購入しておりますが、比較のためにカタログと価格表をお送りいただけますでしょうか。\n\nさくらスポーツ株式会社\n大阪市北区1-1\nTEL 06-5555-1234", InfoGathering},
		// sample-seeking
		{"it sample", "luca.shop88@gmail.com", "Campione gratuito",
			"Ciao, vorrei un campione gratuito del monopattino ER-K200 con spedizione a vostro carico. Se la qualità è buona faremo grandi ordini.", SampleSeeking},
		{"ja sample", "yuki.review@yahoo.co.jp", "無料サンプルのお願い",
			"こんにちは。ER-X Pro の無料サンプルを送っていただけますか？送料もそちらでご負担いただけると助かります。インスタグラムで紹介します。", SampleSeeking},
		{"ru sample", "ivan.scoot@mail.ru", "Бесплатный образец",
			"Здравствуйте! Пришлите, пожалуйста, бесплатный образец самоката ER-K200, доставка за ваш счет. Потом, если качество хорошее, закажем большую партию.", SampleSeeking},
		// intel-probe
		{"pl copycat", "inzynier@nowaforma.pl", "Pytania techniczne",
			"Dzień dobry, jesteśmy firmą, która opracowuje własną hulajnogę elektryczną. Prosimy o informacje: marka ogniw w pakiecie 36 V, dostawca BMS, schemat kontrolera, koszt formy i struktura kosztów.\n\nTomasz Wiśniewski, inżynier", IntelProbe},
		{"zh copycat", "rd@yk-motion.cn", "技术咨询",
			"您好，我们正在自己开发一款类似的电动滑板车，想了解贵司电机供应商、控制器芯片型号、电芯品牌、模具费和BOM成本构成。", IntelProbe},
		{"es competitor", "distrib.mx2024@hotmail.com", "Lista de precios distribuidor",
			"Hola, somos distribuidor en México. Envíenos la lista de precios completa con el descuento para distribuidores y díganos quiénes son sus clientes en México y a qué precio les venden. Precio más bajo por favor.", IntelProbe},
		// none
		{"de ooo", "m.huber@example-shop.de", "Automatische Antwort: Anfrage Tretroller",
			"Vielen Dank für Ihre Nachricht. Ich bin bis zum 15.08. nicht im Büro (Abwesenheitsnotiz) und habe keinen Zugriff auf E-Mails.", None},
		{"zh vendor", "sales@nb-wheelparts.cn", "PU轮 工厂直销",
			"您好！我们是专业生产滑板车PU轮的工厂，主营产品有PU轮、轴承、握把。欢迎来厂参观，价格优惠，可提供样品。请问贵司采购负责人是哪位？", None},
		{"en rfq phishing", "procurement@secure-docs-share.com", "Urgent RFQ - scooters",
			"Dear supplier, please find our RFQ for 5,000 scooters in the shared document. Click here to view the document and sign in with your email account to download.", None},
		{"es forwarder", "noreply@carga-rapida.com", "Aviso de llegada - contenedor",
			"Estimado cliente, le informamos el aviso de llegada de su carga (scooters) al puerto de Valencia. Favor enviar documentos para el despacho.", None},
		{"es vendor", "ventas@cartonesdelsur.com", "Cajas de cartón para sus scooters",
			"Estimados, somos fabricantes de cajas de cartón corrugado y ofrecemos embalaje para scooters y patinetes. Nuestros productos principales: cajas master, cajas de color. ¿Quién es el responsable de compras en su empresa?", None},
		{"fr bank advice", "notification@banque-exemple.fr", "Avis de crédit - virement reçu",
			"Avis de crédit: nous avons crédité votre compte de USD 25 000,00. Référence: acompte commande trottinettes PO-5512. Ceci est un message généré automatiquement.", None},
		{"es ooo text", "compras@tiendaruedas.es", "Respuesta automática: pedido patinetes",
			"Estoy fuera de la oficina hasta el lunes con acceso limitado al correo. Para urgencias contacte con mi compañera.", None},
		{"zh greetings", "friend1988@qq.com", "春节快乐",
			"李总，新年快乐！祝您和家人身体健康，万事如意。滑板车生意兴隆！", None},
		{"en job application", "jane.doe.sales@gmail.com", "Application for export sales position",
			"Dear HR, I am applying for the export sales position at your scooter company. Please find my CV attached. I have five years of experience selling kick scooters to Europe.", None},
		{"en complaint", "qc@trailhead-supply.com", "Damaged scooters in last shipment",
			"Hello, we received the goods yesterday and 40 ER-K200 scooters arrived damaged (broken folding clamps). Please advise how you will compensate us for this claim.", None},
		{"en paid sample sourcing", "buyer@citywheels.com", "ER-K200 order after sample approval",
			"We would like to order 1,200 pcs ER-K200, FOB Ningbo, 30% T/T deposit. Before mass production please send one sample; we will pay for the sample and courier.\n\nCityWheels LLC\n12 Market St, Denver, CO 80202, USA\nTel +1 303 555 0199\nwww.citywheels.com", Sourcing},
		{"en technical sourcing", "purchasing@voltcity.com", "Order ER-E8 600 pcs",
			"We would like to order 600 pcs ER-E8, FOB Ningbo, 30% T/T deposit, balance against B/L copy. Our engineer asks which battery cell brand you use and whether the firmware can limit the speed to 25 km/h.\n\nVoltCity Ltd\n5 Harbour Rd, Dublin, Ireland\nTel +353 1 555 0101\nwww.voltcity.com", Sourcing},
		{"en catalogue request", "buying@northpeak.ca", "Catalogue and FOB prices",
			"Hello, we are a sporting goods wholesaler. Please send your catalogue and FOB Ningbo price list for your kick scooters.\n\nNorth Peak Sports Inc.\n200 King St W, Toronto, ON, Canada\nTel +1 416 555 0100\nwww.northpeak.ca", InfoGathering},
		{"es no product word", "compras@importadoralima.pe", "Solicitud de catálogo",
			"Buenos días, estamos interesados en sus productos. Trabajamos con un proveedor en China desde hace años; por favor envíenos su catálogo y lista de precios para comparar.\n\nImportadora Lima S.A.C.\nAv. Arequipa 1200, Lima, Perú\nTel. +51 1 555 0123", InfoGathering},
		{"pt sourcing", "compras@mobilidadesul.com.br", "Pedido ER-K200 - 1.800 unidades",
			"Prezados, gostaríamos de fazer um pedido de 1.800 unidades do ER-K200, FOB Ningbo, pagamento 30% T/T antecipado e 70% contra cópia do B/L. Embarque até o fim de novembro.\n\nMobilidade Sul Ltda.\nRua das Flores 100, Porto Alegre - RS\nTel. +55 51 5555 1234\nwww.mobilidadesul.com.br", Sourcing},
		{"pt market entry", "contato@lojadopatinete.com.br", "Primeira importação",
			"Olá, é a primeira vez que importamos da China e não temos experiência. O que significa FOB? Quais documentos são necessários para o desembaraço no Brasil? Qual o pedido mínimo do patinete ER-K3 Mini?\n\nLoja do Patinete Ltda.\nAv. Paulista 1000, São Paulo\nTel +55 11 5555 0000", MarketEntry},
		{"it market entry", "info@giocattolibelli.it", "Prima importazione monopattini",
			"Buongiorno, è la prima volta che importiamo direttamente dalla Cina. Cosa significa FOB? Quali certificati servono per vendere monopattini per bambini in Italia? Qual è l'ordine minimo?\n\nGiocattoli Belli S.r.l.\nVia Verdi 3, Bologna\nTel. +39 051 555 123", MarketEntry},
		{"ko info", "buyer@seoulkick.co.kr", "카탈로그 및 가격표 요청",
			"안녕하세요. 저희는 현재 공급업체와 거래 중이지만 비교를 위해 킥보드 카탈로그와 가격표를 보내주시기 바랍니다.\n\n서울킥 주식회사\n서울시 마포구 1\n전화 +82 2 555 0000", InfoGathering},
		{"ko sample", "kim.review@naver.com", "무료 샘플 요청",
			"안녕하세요, 킥보드 ER-K200 무료 샘플을 보내주실 수 있나요? 배송비 무료로 부탁드립니다. 유튜브 채널에 리뷰하겠습니다.", SampleSeeking},
		{"pt vendor", "vendas@embalagensrapidas.com.br", "Embalagens para patinetes",
			"Prezados, somos fabricantes de caixas de papelão e podemos fornecer embalagens para seus patinetes. Nossos principais produtos: caixas master e caixas coloridas. Quem é o responsável pelas compras?", None},
		{"it thread reply in text", "acquisti@ruotaveloce.it", "R: Ordine ER-K200 - documenti di spedizione",
			"Buongiorno Lily, abbiamo pagato l'acconto ieri. Potete inviarci i documenti di spedizione e il numero del container?", None},
		{"tr client", "ahmet@anadoluticaret.com.tr", "Müşterimiz için scooter",
			"Merhaba, bir müşterimiz için elektrikli scooter arıyoruz. Bu ürünü ilk kez ithal edeceğiz; hangi belgeler gerekli, FOB ne demek?\n\nAnadolu Ticaret A.Ş.\nİstanbul\nTel +90 212 555 1234", MarketEntry},
		{"ru competitor", "dealer.msk2025@mail.ru", "Дилерские цены на самокаты",
			"Добрый день. Пришлите полный прайс на все самокаты с дилерскими скидками и структурой цены. Также интересно, кто ваши клиенты в России — назовите ваших клиентов.", IntelProbe},
		{"ar sample", "sami.rider@hotmail.com", "طلب عينة",
			"مرحبا، أريد عينة مجانية من سكوتر ER-K200 مع الشحن على حسابكم، وإذا كانت الجودة جيدة سأطلب كمية كبيرة.", SampleSeeking},
		// generalisation: broad copycat, vendor, sample and competitor cues
		{"fr copycat", "jean.dupont@atelier-mobilite.fr", "Questions techniques ER-K200",
			"Bonjour, je suis ingénieur au bureau d'études d'Atelier Mobilité. Nous développons notre propre trottinette pliable. Quel est le procédé de fabrication du collier de pliage (moulage sous pression ou forgeage) ? Quelle nuance d'alliage ? Coût du moule ? Pouvez-vous envoyer un plan technique ?", IntelProbe},
		{"pt copycat", "pedro@mobtech.com.br", "Dúvidas técnicas ER-K3 Mini",
			"Olá, sou engenheiro de produto. Gostaria de saber o processo de fabricação das rodas luminosas do ER-K3 Mini, o custo do molde, quem fornece os LEDs e se podem enviar o desenho técnico.", IntelProbe},
		{"tr copycat", "mehmet@ozkanmuhendislik.com.tr", "ER-X Pro teknik sorular",
			"Merhaba, Ar-Ge ekibinden yazıyorum. ER-X Pro için: gidon borusu hangi çelik kalitesi, kaynak yöntemi nedir, ısıl işlem yapıyor musunuz, kalıp maliyeti nedir? Teknik çizim gönderebilir misiniz?", IntelProbe},
		{"ko copycat", "dev@hanmobility.kr", "ER-E8 문의",
			"안녕하세요. 저희는 개발팀입니다. ER-E8의 셀 브랜드, BMS 공급업체, 모터 자석 등급, 원가 구성을 알려주세요. 도면도 부탁드립니다.", IntelProbe},
		{"it competitor freemail", "rossi.import@gmail.com", "Listino",
			"Buongiorno, vorrei il listino completo di tutti i modelli con gli sconti per distributori e i nomi dei vostri clienti in Italia.", IntelProbe},
		{"de competitor clean", "info@rollerhaus-berlin.de", "Anfrage Händlerkonditionen",
			"Guten Tag, bevor wir bestellen: Welche Händler in Berlin führen Ihre Roller bereits? Wie hoch ist Ihre Marge und welche Rabattstaffeln bieten Sie Großhändlern?\n\nAnna Schulz\nRollerhaus Berlin GmbH\nFriedrichstraße 10, 10117 Berlin\nTel. +49 30 1234567", IntelProbe},
		{"en vendor battery", "sales@powercell-tech.com", "Battery packs for your e-scooters",
			"Hello, we are a manufacturer of lithium battery packs and would like to supply you with 36V 10.4Ah packs for your e-scooters. Free samples for your test.", None},
		{"es vendor tubes", "ventas@aluminiosdelnorte.com", "Tubos de aluminio para patinetes",
			"Estimados señores: somos fabricantes de tubos de aluminio 6061 para la industria de patinetes. Nos gustaría ser su proveedor. Podemos enviarle muestras gratis. Precio: USD 3.200 por tonelada.", None},
		{"tr vendor", "info@ozturk-parca.com.tr", "Scooter parçaları",
			"Merhaba, biz scooter parçaları üreticisiyiz. Size tedarik etmek istiyoruz, ücretsiz numune gönderebiliriz.", None},
		{"en review unit", "benreviews@gmail.com", "Review unit?",
			"Hey, I run a scooter review channel. Could you send me 1 free ER-K200 for a full review? Shipping covered by you please. I'll promote it.", SampleSeeking},
		{"es newcomer with quantity", "pedidos@movil.mx", "Primera importación",
			"Hola, es la primera vez que importamos. Queremos 300 ER-K200 FOB Ningbo. ¿Cómo funciona el pago? ¿Qué documentos necesitamos?\n\nMovil S.A. de C.V.\nAv. Reforma 100, CDMX\nTel. +52 55 5555 1234", MarketEntry},
		{"ja arrival notice", "notice@kaiun-fw.co.jp", "到着案内 B/L KF123",
			"いつもお世話になっております。下記貨物の到着予定をご案内いたします。船名：SEA STAR、積地：寧波、揚地：横浜、品名：KICK SCOOTER 700 PCS、荷受人：株式会社ライド。", None},
		{"en newsletter text", "news@ride-expo.com", "Ride Expo 2026 - book your booth",
			"Meet 3,000 buyers of scooters and e-bikes! Book your booth now, early bird price USD 2,900. Click to unsubscribe.", None},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &decode.Message{
				Subject: tc.subject, From: decode.Address{Addr: tc.from},
				Date: day("2025-09-10"), HasDate: true, Text: tc.text, Header: textproto.Header{},
			}
			if strings.HasPrefix(tc.name, "it thread") {
				m.InReplyTo = []string{"pi-2025-118@everride-scooter.com"}
			}
			f := x.Extract(m)
			v := j.Judge(m, f, nil)
			if os.Getenv("JUDGE_DEBUG") != "" {
				t.Logf("%s: %s %s %s %s %v", tc.name, v.BuyerType, v.Grade, v.ReplyPlan, v.Rep, v.Signals)
			}
			if v.BuyerType != tc.want {
				t.Errorf("got %s (%s), want %s; signals %v; fields models=%v qty=%v company=%q country=%q", v.BuyerType, v.ProbeKind, tc.want, v.Signals, f.Models, f.Quantity, f.Company, f.Country)
			}
		})
	}
}
