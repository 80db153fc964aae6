package config

// Classify is the [classify] section.
type Classify struct {
	// SubjectTag prepends "[A]" etc. to the Subject for clients that cannot
	// sort by header. Off by default: it changes the message.
	SubjectTag bool `toml:"subject_tag"`
	// Grades maps buyer type to grade, overriding the default mapping.
	Grades map[string]string `toml:"grades"`
	// Rules is a file of cue vocabularies and weights that replaces the
	// embedded one; empty uses the embedded rules.
	Rules string `toml:"rules"`
}

func defaultClassify() Classify { return Classify{} }

func (c *Classify) validate(p *problems) {
	for _, k := range sortedKeys(c.Grades) {
		switch k {
		case "sourcing", "market-entry", "info-gathering", "sample-seeking", "intel-probe":
		default:
			p.add("classify.grades."+k, "unknown buyer type %q", k)
		}
		switch c.Grades[k] {
		case "A", "B", "C", "D":
		default:
			p.add("classify.grades."+k, "grade must be A, B, C or D, not %q", c.Grades[k])
		}
	}
}
