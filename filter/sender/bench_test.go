package sender

import (
	"testing"

	"github.com/tradesift/tradesift/filter/decode"
)

// BenchmarkAnalyze reads the traits of an ordinary buyer's mail, whose
// domains are compared with ours and every customer's.
func BenchmarkAnalyze(b *testing.B) {
	m := msg("ana@lojas-exemplo.com.br", "X-Mailer: Microsoft Outlook 16.0", "Subject: Pedido ER-K200")
	m.ReturnPath = "bounce@mail.lojas-exemplo.com.br"
	m.ReplyTo = []decode.Address{{Addr: "compras@lojas-exemplo.com.br"}}
	m.Charsets = []string{"utf-8"}
	s := supplier()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Analyze(m, s, []string{"lojas-exemplo.com.br"})
	}
}
