package config

import (
	"strings"
	"time"
)

// Supplier is the [supplier] section: the company behind the relay, as the
// classifier and the reply templates need it (see shared/profile.md §2).
type Supplier struct {
	Name      string `toml:"name"`
	LocalName string `toml:"local_name"` // name in the home language, e.g. Chinese
	Domain    string `toml:"domain"`
	Website   string `toml:"website"`
	Address   string `toml:"address"`
	Phone     string `toml:"phone"`
	Port      string `toml:"port"` // port of loading, e.g. "Ningbo"
	Currency  string `toml:"currency"`

	LeadTimeMinDays int `toml:"lead_time_min_days"`
	LeadTimeMaxDays int `toml:"lead_time_max_days"`

	PaymentTerms   []string `toml:"payment_terms"`
	Certifications []string `toml:"certifications"`
	SamplePolicy   string   `toml:"sample_policy"`
	StandardColors []string `toml:"standard_colors"`

	// NotMade lists products outside our range, each with the words that
	// name it in inquiries (any language).
	NotMade []Product `toml:"not_made"`
	// Custom lists custom work that needs time (new moulds, custom colours,
	// logo beyond the deck, packaging design), each with cue words.
	Custom []Cue `toml:"custom"`

	// Embargoed are ISO 3166 country codes we never sell to.
	Embargoed []string `toml:"embargoed"`

	Products []Product `toml:"product"`

	Competitors []string `toml:"competitors"`
	Customers   []string `toml:"customers"`

	Reps    []Rep    `toml:"rep"`
	Regions []Region `toml:"region"`
	// DefaultRep receives what no region routes.
	DefaultRep string `toml:"default_rep"`
}

// Product is one catalog line.
type Product struct {
	Model string `toml:"model"`
	Name  string `toml:"name"`
	// Words name the product in inquiries, in any language ("kick scooter",
	// "patinete", "самокат"); the model number itself always counts.
	Words []string `toml:"words"`
	// Context, when set, makes Words count only in a sentence that also has
	// one of these words (spare-part items next to "spare", "repuestos", ...);
	// such words then count even beside model numbers. Without Context,
	// Words are a fallback used only when no model number is named.
	Context []string `toml:"context"`

	PriceMin float64 `toml:"price_min"`
	PriceMax float64 `toml:"price_max"`
	Floor    float64 `toml:"floor"`
	MOQ      int     `toml:"moq"`
	// CapacityMonth is how many pieces we can make per month.
	CapacityMonth int `toml:"capacity_month"`
	// PerContainer maps a container ("20GP", "40GP", "40HQ") to pieces.
	PerContainer map[string]int `toml:"per_container"`
	// Season restricts orders to a window of the year, "MM-DD".."MM-DD".
	SeasonStart string `toml:"season_start"`
	SeasonEnd   string `toml:"season_end"`
	// Restricted are country codes this product is not sold to.
	Restricted []string `toml:"restricted"`
	Notes      string   `toml:"notes"`
	Certs      []string `toml:"certs"`
}

// Cue is a named group of words.
type Cue struct {
	Name  string   `toml:"name"`
	Words []string `toml:"words"`
}

// Rep is one sales representative.
type Rep struct {
	ID      string `toml:"id"` // "lily.chen"
	Name    string `toml:"name"`
	Address string `toml:"address"`
	Title   string `toml:"title"`
	Phone   string `toml:"phone"`
}

// Region routes buyers from these countries to a rep.
type Region struct {
	Name      string   `toml:"name"`
	Rep       string   `toml:"rep"`
	Countries []string `toml:"countries"`
}

// InSeason reports whether p may be ordered on date t.
func (p *Product) InSeason(t time.Time) bool {
	if p.SeasonStart == "" || p.SeasonEnd == "" {
		return true
	}
	md := t.Format("01-02")
	if p.SeasonStart <= p.SeasonEnd {
		return md >= p.SeasonStart && md <= p.SeasonEnd
	}
	return md >= p.SeasonStart || md <= p.SeasonEnd
}

// RepByID returns the rep with that id, or nil.
func (s *Supplier) RepByID(id string) *Rep {
	for i := range s.Reps {
		if s.Reps[i].ID == id {
			return &s.Reps[i]
		}
	}
	return nil
}

// RepFor returns the rep id for a country code ("" for unknown).
func (s *Supplier) RepFor(country string) string {
	country = strings.ToUpper(country)
	for _, r := range s.Regions {
		for _, c := range r.Countries {
			if strings.EqualFold(c, country) {
				return r.Rep
			}
		}
	}
	return s.DefaultRep
}

func (s *Supplier) validate(p *problems) {
	if s.Name == "" {
		p.add("supplier.name", "must be set: templates sign with it")
	}
	if s.Domain == "" {
		p.add("supplier.domain", "must be set: look-alike detection compares against it")
	}
	s.Domain = strings.ToLower(s.Domain)
	seen := map[string]bool{}
	for i := range s.Products {
		pr := &s.Products[i]
		key := "supplier.product." + itoa(i)
		if pr.Model == "" {
			p.add(key+".model", "every product needs a model")
		} else if seen[strings.ToLower(pr.Model)] {
			p.add(key+".model", "model %q appears twice", pr.Model)
		}
		seen[strings.ToLower(pr.Model)] = true
		if pr.PriceMin < 0 || pr.PriceMax < pr.PriceMin {
			p.add(key+".price_max", "price range %v–%v is not a range", pr.PriceMin, pr.PriceMax)
		}
		if pr.Floor < 0 || (pr.Floor > 0 && pr.PriceMin > 0 && pr.Floor > pr.PriceMin) {
			p.add(key+".floor", "floor %v must be between 0 and price_min", pr.Floor)
		}
		if pr.MOQ < 0 || pr.CapacityMonth < 0 {
			p.add(key+".moq", "moq and capacity_month must not be negative")
		}
		if (pr.SeasonStart == "") != (pr.SeasonEnd == "") {
			p.add(key+".season_start", "season_start and season_end go together")
		}
		for _, f := range []struct{ k, v string }{{".season_start", pr.SeasonStart}, {".season_end", pr.SeasonEnd}} {
			if f.v != "" {
				if _, err := time.Parse("01-02", f.v); err != nil {
					p.add(key+f.k, "%q is not MM-DD", f.v)
				}
			}
		}
		for c, n := range pr.PerContainer {
			if n <= 0 {
				p.add(key+".per_container", "%s: must be positive", c)
			}
		}
	}
	reps := map[string]bool{}
	for i, r := range s.Reps {
		key := "supplier.rep." + itoa(i)
		if r.ID == "" || r.Address == "" || !strings.Contains(r.Address, "@") {
			p.add(key, "every rep needs an id and an address")
		}
		reps[r.ID] = true
	}
	for i, r := range s.Regions {
		if !reps[r.Rep] {
			p.add("supplier.region."+itoa(i)+".rep", "no [[supplier.rep]] has id %q", r.Rep)
		}
	}
	if s.DefaultRep != "" && !reps[s.DefaultRep] {
		p.add("supplier.default_rep", "no [[supplier.rep]] has id %q", s.DefaultRep)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
