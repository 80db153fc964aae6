package extract

import "testing"

func BenchmarkStageScan(b *testing.B) {
	x := exampleExtractor(b)
	m := tenKB()
	low := lower(m.Text)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.d.scan(low, nil)
	}
}

func BenchmarkStageLower(b *testing.B) {
	m := tenKB()
	for i := 0; i < b.N; i++ {
		lower(m.Text)
	}
}

func BenchmarkStageNewDoc(b *testing.B) {
	x := exampleExtractor(b)
	m := tenKB()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.newDoc(m)
	}
}

func BenchmarkStageLanguage(b *testing.B) {
	x := exampleExtractor(b)
	dc := x.newDoc(tenKB())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.language(dc)
	}
}

func BenchmarkStageCompany(b *testing.B) {
	x := exampleExtractor(b)
	dc := x.newDoc(tenKB())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.company(dc)
	}
}

func BenchmarkStageQuantity(b *testing.B) {
	x := exampleExtractor(b)
	dc := x.newDoc(tenKB())
	var f Fields
	mi := x.models(dc, &f)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var f Fields
		x.quantity(dc, mi, &f)
	}
}
