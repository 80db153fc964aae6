package sender

import "testing"

func FuzzLookAlike(f *testing.F) {
	for _, s := range []string{"scootw0rld.de", "еverride-scooter.com", "xn--verride-scooter-3nm.com", "co.uk", "..", "[1.2.3.4]", "a.b.c.d.e.f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		for _, target := range []string{"everride-scooter.com", "scootworld.de", "urbanmove.co.uk"} {
			if LookAlike(target, target) {
				t.Fatal("a domain looks like itself")
			}
			LookAlike(d, target)
		}
	})
}
