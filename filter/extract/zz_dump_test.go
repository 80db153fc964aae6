package extract

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestDumpAll(t *testing.T) {
	if os.Getenv("EXTRACT_DUMP") == "" {
		t.Skip()
	}
	dir, labels := loadCorpus(t)
	x := exampleExtractor(t)
	for _, l := range labels {
		g := x.Extract(parseFile(t, filepath.Join(dir, l.File)))
		tp, dd := "", ""
		if g.TargetPrice != nil {
			tp = fmt.Sprintf("%v %s (%s)", *g.TargetPrice, g.Currency, g.TargetPriceModel)
		}
		if g.DeliveryDays != nil {
			dd = fmt.Sprint(*g.DeliveryDays)
		}
		fmt.Printf("%s %-6.6s pay=%v tp=%s dd=%s custom=%v other=%v mq=%v samp=%d\n    contact=%q phone=%q web=%q\n    addr=%q\n", l.File, l.BuyerType, g.Payment, tp, dd, g.Custom, g.OtherProducts, g.ModelQuantity, g.Samples, g.Contact, g.Phone, g.Website, g.Address)
	}
}
