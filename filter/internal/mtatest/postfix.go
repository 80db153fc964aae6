package mtatest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// PostfixOptions configure a private Postfix instance.
type PostfixOptions struct {
	// Relayhost is where everything goes, e.g. "[127.0.0.1]:2526" (a
	// sink). Empty leaves relayhost unset.
	Relayhost string
	// Main holds extra main.cf settings, "name = value" each, applied with
	// `postconf -c DIR -e` after the defaults (so they override them).
	Main []string
	// Master is appended to master.cf: extra services, such as the
	// content_filter transport and the re-injection listener.
	Master string
	// Addr of the SMTP listener; empty picks a free 127.0.0.1 port.
	Addr string
}

// Postfix is a private Postfix instance: its own config_directory,
// queue_directory and data_directory in a temporary directory, listening
// on loopback ports only, logging to a file under /var/log.
type Postfix struct {
	// Addr is the smtpd listener, 127.0.0.1:port.
	Addr string
	// ConfigDir holds main.cf and master.cf (postfix -c ConfigDir).
	ConfigDir string
	// QueueDir is queue_directory.
	QueueDir string
	// LogPath is maillog_file. Postfix refuses log files outside
	// maillog_file_prefixes (/var, /dev/stdout) and then fails to start
	// without a word, so it lives under /var/log.
	LogPath string

	t       testing.TB
	running bool
}

// baseMaster is Debian's master.cf without chroot (the private queue has
// no chroot tree) and without the smtpd listener, which StartPostfix adds
// on a free port.
const baseMaster = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// StartPostfix writes main.cf and master.cf for a private instance, runs
// `postfix -c DIR start` and waits for its smtpd to answer. It is stopped
// (`postfix -c DIR stop`) when the test ends. Needs root.
//
// Defaults: myhostname postfix.test, mydestination empty (nothing is
// delivered locally), mynetworks 127.0.0.0/8 with relaying for them only,
// IPv4 loopback only, no TLS, no aliases, no DNS for the relayhost.
func StartPostfix(t testing.TB, opts PostfixOptions) *Postfix {
	t.Helper()
	RequireTool(t, PostfixPath)
	RequireTool(t, PostconfPath)
	RequireRoot(t, "Postfix starts as root")
	root := WorldDir(t, "postfix")
	p := &Postfix{
		Addr:      opts.Addr,
		ConfigDir: filepath.Join(root, "etc"),
		QueueDir:  filepath.Join(root, "queue"),
		t:         t,
	}
	if p.Addr == "" {
		p.Addr = FreeAddr(t)
	}
	dataDir := filepath.Join(root, "data")
	for _, d := range []string{p.ConfigDir, p.QueueDir, dataDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// data_directory must belong to mail_owner.
	if uid, gid, err := lookupIDs("postfix"); err == nil {
		os.Chown(dataDir, uid, gid)
	}
	logDir := "/var/log"
	f, err := os.CreateTemp(logDir, "mtatest-postfix-*.log")
	if err != nil {
		t.Fatalf("postfix log under %s: %v", logDir, err)
	}
	p.LogPath = f.Name()
	f.Close()
	os.Chmod(p.LogPath, 0o644)

	main := []string{
		"compatibility_level = 3.6",
		"queue_directory = " + p.QueueDir,
		"data_directory = " + dataDir,
		"maillog_file = " + p.LogPath,
		"myhostname = postfix.test",
		"mydomain = postfix.test",
		"myorigin = $myhostname",
		"mydestination =",
		"inet_interfaces = 127.0.0.1",
		"inet_protocols = ipv4",
		"mynetworks = 127.0.0.0/8",
		"smtpd_relay_restrictions = permit_mynetworks, reject",
		"alias_maps =",
		"alias_database =",
		"smtp_tls_security_level = none",
		"smtpd_tls_security_level = none",
		"smtp_dns_support_level = disabled",
		"biff = no",
		"message_size_limit = 104857600",
	}
	if opts.Relayhost != "" {
		main = append(main, "relayhost = "+opts.Relayhost)
	}
	main = append(main, opts.Main...)
	if err := os.WriteFile(filepath.Join(p.ConfigDir, "main.cf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	master := fmt.Sprintf("%s inet n - n - - smtpd\n", p.Addr) + baseMaster + opts.Master
	if err := os.WriteFile(filepath.Join(p.ConfigDir, "master.cf"), []byte(master), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Postconf(main...)

	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("postfix log %s:\n%s", p.LogPath, logTail(p.LogPath, 60))
		}
		os.Remove(p.LogPath)
	})
	if out, err := run(PostfixPath, "-c", p.ConfigDir, "start"); err != nil {
		t.Fatalf("postfix start: %v\n%s\n%s", err, out, logTail(p.LogPath, 30))
	}
	p.running = true
	if err := waitSMTP(p.Addr, 20*time.Second, nil); err != nil {
		t.Fatalf("postfix: %v\n%s", err, logTail(p.LogPath, 30))
	}
	return p
}

// Postconf sets main.cf parameters ("name = value") with `postconf -c DIR
// -e`; a running instance needs Reload to see them.
func (p *Postfix) Postconf(settings ...string) {
	p.t.Helper()
	if len(settings) == 0 {
		return
	}
	args := []string{"-c", p.ConfigDir, "-e"}
	for _, s := range settings {
		name, value, ok := strings.Cut(s, "=")
		if !ok {
			p.t.Fatalf("postconf setting %q is not name = value", s)
		}
		args = append(args, strings.TrimSpace(name)+"="+strings.TrimSpace(value))
	}
	if _, err := run(PostconfPath, args...); err != nil {
		p.t.Fatal(err)
	}
}

// Reload makes a running instance re-read its configuration.
func (p *Postfix) Reload() {
	p.t.Helper()
	if _, err := run(PostfixPath, "-c", p.ConfigDir, "reload"); err != nil {
		p.t.Fatal(err)
	}
}

// Flush asks the queue manager to retry deferred mail now.
func (p *Postfix) Flush() {
	p.t.Helper()
	if _, err := run(PostfixPath, "-c", p.ConfigDir, "flush"); err != nil {
		p.t.Fatal(err)
	}
}

// Log returns the instance's maillog so far.
func (p *Postfix) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// Stop runs `postfix -c DIR stop` and waits for the listener to go away.
func (p *Postfix) Stop() {
	if !p.running {
		return
	}
	p.running = false
	if _, err := run(PostfixPath, "-c", p.ConfigDir, "stop"); err != nil {
		p.t.Logf("postfix stop: %v", err)
		run(PostfixPath, "-c", p.ConfigDir, "abort")
	}
	waitGone(p.Addr, 10*time.Second)
}
