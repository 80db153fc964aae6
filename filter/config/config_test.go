package config

import (
	"strings"
	"testing"
)

func TestExampleConfigParses(t *testing.T) {
	c, err := Load("../../config.example.toml")
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	if c.SMTP.Listen != "127.0.0.1:2525" || len(c.Supplier.Products) != 6 || len(c.Supplier.Reps) != 4 {
		t.Errorf("unexpected example config: listen %q, %d products, %d reps", c.SMTP.Listen, len(c.Supplier.Products), len(c.Supplier.Reps))
	}
	if got := c.Supplier.RepFor("de"); got != "lily.chen" {
		t.Errorf("RepFor(de) = %q", got)
	}
	if got := c.Supplier.RepFor("ZZ"); got != "david.li" {
		t.Errorf("RepFor(ZZ) = %q, want default rep", got)
	}
}

func TestBadConfigs(t *testing.T) {
	base := "[smtp]\nlisten = \"127.0.0.1:2525\"\nhostname = \"mx.example.com\"\ndomains = [\"example.com\"]\n[supplier]\nname = \"X\"\ndomain = \"example.com\"\n"
	cases := []struct {
		name, conf, want string
	}{
		{"unknown key", base + "[queue]\ndirr = \"x\"\n", `test.toml:9: unknown key "queue.dirr"`},
		{"unknown section", "[smpt]\nlisten = \"x\"\n", `test.toml:1: unknown key "smpt"`},
		{"bad listen", strings.Replace(base, "127.0.0.1:2525", "nonsense", 1), `test.toml:2: smtp.listen: "nonsense" is not host:port`},
		{"no domains", strings.Replace(base, "domains = [\"example.com\"]", "domains = []", 1), `test.toml:4: smtp.domains: list at least one local domain`},
		{"bad duration", base + "[queue]\nmin_backoff = \"5 minutes\"\n", `test.toml:9:`},
		{"bad downstream", base + "[delivery]\ndownstream = \"ftp://x:1\"\n", `test.toml:9: delivery.downstream: unknown scheme "ftp"`},
		{"bad size", strings.Replace(base, "[supplier]", "max_message_size = \"huge\"\n[supplier]", 1), `test.toml:5:`},
		{"syntax", "[smtp\n", `test.toml:1:`},
		{"bad season", base + "[[supplier.product]]\nmodel = \"A\"\nseason_start = \"13-40\"\nseason_end = \"07-31\"\n", `test.toml:10: supplier.product.0.season_start: "13-40" is not MM-DD`},
		{"unknown rep", base + "[[supplier.region]]\nname = \"EU\"\nrep = \"nobody\"\ncountries = [\"DE\"]\n", `test.toml:10: supplier.region.0.rep: no [[supplier.rep]] has id "nobody"`},
		{"shared queue dir", base + "[queue]\ndir = \"/var/spool/ts\"\n[drafts]\nqueue_dir = \"/var/spool/ts/\"\n", `drafts.queue_dir: must not be queue.dir`},
		{"bad grade", base + "[classify]\ngrades = { sourcing = \"Z\" }\n", `classify.grades.sourcing: grade must be A, B, C or D`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("test.toml", []byte(tc.conf))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]Target{
		"smtp://127.0.0.1:25":   {Scheme: "smtp", Network: "tcp", Address: "127.0.0.1:25"},
		"lmtp:unix:/run/lmtp":   {Scheme: "lmtp", Network: "unix", Address: "/run/lmtp"},
		"maildir:./var/mail":    {Scheme: "maildir", Address: "./var/mail"},
		"imaps://127.0.0.1:993": {Scheme: "imap", Network: "tcp", Address: "127.0.0.1:993", TLS: true},
		"lmtp://127.0.0.1:24":   {Scheme: "lmtp", Network: "tcp", Address: "127.0.0.1:24"},
	} {
		got, err := ParseTarget(in)
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "maildir:", "smtp://nohost", "http://x:1", "lmtp:unix:"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) succeeded", bad)
		}
	}
}
