package auth

import (
	"os"
	"strings"
	"testing"

	"github.com/tradesift/tradesift/filter/config"
)

// The [auth] section is checked when the configuration is read.
func TestAuthConfig(t *testing.T) {
	base, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("config.example.toml", base)
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(example config): %v", err)
	}
	if c.AuthservID() != "mx.everride-scooter.com" {
		t.Errorf("authserv-id %q", c.AuthservID())
	}

	tests := []struct{ from, to, want string }{
		{`trusted_relays = ["127.0.0.1", "::1"]`, `trusted_relays = ["127.0.0.1", "10.0.0.0/8", "localhost"]`,
			`auth.trusted_relays: "localhost" is not an IP address or CIDR prefix`},
		{`authserv_id = "mx.everride-scooter.com"`, `authserv_id = "mx everride"`,
			`auth.authserv_id: "mx everride" must be a host name`},
	}
	for _, tc := range tests {
		data := strings.Replace(string(base), tc.from, tc.to, 1)
		if data == string(base) {
			t.Fatalf("example config has no %q", tc.from)
		}
		_, err := config.Parse("test.toml", []byte(data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.to, err, tc.want)
		}
	}

	// Without authserv_id, smtp.hostname names us.
	data := strings.Replace(string(base), `authserv_id = "mx.everride-scooter.com"`, "", 1)
	cfg, err = config.Parse("test.toml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := NewWithResolver(cfg, nil).AuthservID(); got != cfg.SMTP.Hostname {
		t.Errorf("default authserv-id %q, want %q", got, cfg.SMTP.Hostname)
	}
}
