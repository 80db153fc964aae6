package config

import (
	"strings"
	"time"
)

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

	// Folder is the IMAP folder used when the server marks none with the
	// SPECIAL-USE \Drafts attribute (RFC 6154).
	Folder string `toml:"folder"`
	// StartTLS upgrades imap:// connections with STARTTLS; imaps:// is TLS
	// from the start. Plain imap:// without it is for loopback tests.
	StartTLS bool `toml:"starttls"`
	// TLSCAFile is a PEM bundle trusted for the IMAP server's certificate
	// (a self-signed Dovecot); empty uses the system roots.
	TLSCAFile string `toml:"tls_ca_file"`
	// MasterUser logs in to every rep's mailbox as "<rep login>*<master>"
	// (Dovecot master users), with the master's password from
	// MasterPasswordFile or MasterPasswordEnv.
	MasterUser         string `toml:"master_user"`
	MasterPasswordFile string `toml:"master_password_file"`
	MasterPasswordEnv  string `toml:"master_password_env"`

	// Reps are per-rep delivery settings; reps not listed use the defaults
	// above, with their address as IMAP login.
	Reps []DraftRep `toml:"rep"`
}

// DraftRep is one [[drafts.rep]]: how drafts reach one rep.
type DraftRep struct {
	ID string `toml:"id"` // a [[supplier.rep]] id
	// Deliver overrides drafts.deliver for this rep.
	Deliver string `toml:"deliver"`
	// Username is the IMAP login; empty means the rep's address.
	Username string `toml:"username"`
	// The rep's own IMAP password, read from a file (first line) or an
	// environment variable, never written in the config.
	PasswordFile string `toml:"password_file"`
	PasswordEnv  string `toml:"password_env"`
	// MasterUser overrides drafts.master_user for this rep; "-" turns the
	// master login off for this rep.
	MasterUser string `toml:"master_user"`
}

func defaultDrafts() Drafts {
	return Drafts{
		Deliver:     "maildir:./var/drafts",
		Grades:      []string{"A", "B", "C", "D"},
		QueueDir:    "./var/drafts-queue",
		MaxLifetime: Duration(2 * 24 * time.Hour),
		Folder:      "Drafts",
	}
}

// Rep returns the delivery settings of the rep with that id: its
// [[drafts.rep]] entry merged over the section defaults.
func (d *Drafts) Rep(id string) DraftRep {
	r := DraftRep{ID: id}
	for _, x := range d.Reps {
		if x.ID == id {
			r = x
			break
		}
	}
	if r.Deliver == "" {
		r.Deliver = d.Deliver
	}
	switch r.MasterUser {
	case "":
		r.MasterUser = d.MasterUser
	case "-":
		r.MasterUser = ""
	}
	return r
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
	if d.Folder == "" {
		d.Folder = "Drafts"
	}
	if d.MasterUser != "" && d.MasterPasswordFile == "" && d.MasterPasswordEnv == "" {
		p.add("drafts.master_user", "needs master_password_file or master_password_env")
	}
	if d.MasterPasswordFile != "" && d.MasterPasswordEnv != "" {
		p.add("drafts.master_password_file", "set master_password_file or master_password_env, not both")
	}
	seen := map[string]bool{}
	for i, r := range d.Reps {
		key := "drafts.rep." + itoa(i)
		if r.ID == "" {
			p.add(key+".id", "every [[drafts.rep]] needs an id")
		} else if s.RepByID(r.ID) == nil {
			p.add(key+".id", "no [[supplier.rep]] has id %q", r.ID)
		}
		if seen[r.ID] {
			p.add(key+".id", "rep %q appears twice", r.ID)
		}
		seen[r.ID] = true
		if r.PasswordFile != "" && r.PasswordEnv != "" {
			p.add(key+".password_file", "set password_file or password_env, not both")
		}
		if strings.ContainsAny(r.Username, " \t\r\n*") {
			p.add(key+".username", "%q: no spaces or '*' in an IMAP login", r.Username)
		}
		deliver := r.Deliver
		if deliver == "" {
			deliver = d.Deliver
		} else if _, err := ParseTarget(deliver); err != nil {
			p.add(key+".deliver", "%v", err)
			continue
		}
		t, err := ParseTarget(deliver)
		if err != nil || t.Scheme != "imap" {
			continue
		}
		master := r.MasterUser
		if master == "" {
			master = d.MasterUser
		}
		if (master == "" || master == "-") && r.PasswordFile == "" && r.PasswordEnv == "" {
			p.add(key, "imap delivery needs password_file, password_env or a master_user")
		}
	}
	// Reps without a [[drafts.rep]] inherit drafts.deliver: over IMAP they
	// can only log in through the master user.
	if t, err := ParseTarget(d.Deliver); err == nil && t.Scheme == "imap" && d.MasterUser == "" {
		for _, r := range s.Reps {
			if !seen[r.ID] {
				p.add("drafts.deliver", "rep %q has no [[drafts.rep]] with a password and there is no master_user to log in to its IMAP mailbox", r.ID)
			}
		}
	}
}
