package config

import "time"

// Drafts is the [drafts] section: drafted replies for reps.
type Drafts struct {
	// Deliver is the default way drafts reach reps: maildir:/path (one
	// Maildir per rep below it), imap://host:port or imaps://host:port
	// (APPEND to Drafts), smtp://host:port (mail to the rep).
	Deliver string `toml:"deliver"`
	// Templates is the folder of reply templates; empty uses the embedded
	// ones.
	Templates string `toml:"templates"`
	// Grades lists the grades that get a draft.
	Grades []string `toml:"grades"`
	// QueueDir is the durable queue of drafts.
	QueueDir    string   `toml:"queue_dir"`
	MaxLifetime Duration `toml:"max_lifetime"`
}

func defaultDrafts() Drafts {
	return Drafts{
		Deliver:     "maildir:./var/drafts",
		Grades:      []string{"A", "B", "C", "D"},
		QueueDir:    "./var/drafts-queue",
		MaxLifetime: Duration(2 * 24 * time.Hour),
	}
}

func (d *Drafts) validate(p *problems, s *Supplier) {
	if _, err := ParseTarget(d.Deliver); err != nil {
		p.add("drafts.deliver", "%v", err)
	}
	d.QueueDir = resolveDir(d.QueueDir)
	for _, g := range d.Grades {
		switch g {
		case "A", "B", "C", "D":
		default:
			p.add("drafts.grades", "grade must be A, B, C or D, not %q", g)
		}
	}
}
