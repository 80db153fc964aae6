package imapdraft

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dovecot is a real Dovecot IMAP server started for one test, on loopback
// ports, with its own base_dir, state_dir, users and TLS certificate.
type dovecot struct {
	dir     string
	addr    string // plain IMAP, STARTTLS offered
	tlsAddr string // implicit TLS
	roots   *x509.CertPool
	caFile  string
}

// Users of the test server: rep logins with {PLAIN} passwords, and the
// master user "tradesift".
var testUsers = map[string]string{
	"lily.chen@everride-scooter.com":  "lily-secret",
	"kevin.wang@everride-scooter.com": "kevin-secret",
}

const testMaster, testMasterPassword = "tradesift", "master-secret"

// startDovecot starts `dovecot -F -c FILE` and stops it when the test ends.
// It skips the test when dovecot is not installed, unless
// TRADESIFT_REQUIRE_TOOLS=1.
func startDovecot(t *testing.T) *dovecot {
	t.Helper()
	return startDovecotWith(t, defaultNamespace)
}

// startDovecotWith starts Dovecot with namespace as its inbox namespace.
func startDovecotWith(t *testing.T, namespace string) *dovecot {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
			if _, e := os.Stat(p); e == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		if os.Getenv("TRADESIFT_REQUIRE_TOOLS") == "1" {
			t.Fatal("dovecot not installed (apt-get install dovecot-imapd)")
		}
		t.Skip("dovecot not installed (apt-get install dovecot-imapd)")
	}
	u, err := user.Lookup("dovecot")
	if err != nil {
		t.Fatalf("no dovecot system user: %v", err)
	}
	if os.Geteuid() != 0 {
		if os.Getenv("TRADESIFT_REQUIRE_TOOLS") == "1" {
			t.Fatal("dovecot test needs root (homes owned by the dovecot user)")
		}
		t.Skip("dovecot test needs root (homes owned by the dovecot user)")
	}
	var uid, gid int
	fmt.Sscan(u.Uid, &uid)
	fmt.Sscan(u.Gid, &gid)

	dir, err := os.MkdirTemp("", "tradesift-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	// Keep the folder of a failed test for its dovecot.log.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecot folder kept: %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &dovecot{dir: dir}
	certPEM, keyPEM := selfSigned(t)
	d.roots = x509.NewCertPool()
	d.roots.AppendCertsFromPEM(certPEM)
	d.caFile = filepath.Join(dir, "cert.pem")
	must(t, os.WriteFile(d.caFile, certPEM, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600))

	var users strings.Builder
	for name, pass := range testUsers {
		home := filepath.Join(dir, "home", strings.SplitN(name, "@", 2)[0])
		must(t, os.MkdirAll(home, 0o700))
		must(t, os.Chown(home, uid, gid))
		fmt.Fprintf(&users, "%s:{PLAIN}%s:%d:%d::%s\n", name, pass, uid, gid, home)
	}
	must(t, os.Chown(filepath.Join(dir, "home"), uid, gid))
	must(t, os.WriteFile(filepath.Join(dir, "users"), []byte(users.String()), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "masters"), []byte(testMaster+":{PLAIN}"+testMasterPassword+"\n"), 0o644))

	port, tlsPort := freePort(t), freePort(t)
	d.addr = fmt.Sprintf("127.0.0.1:%d", port)
	d.tlsAddr = fmt.Sprintf("127.0.0.1:%d", tlsPort)
	conf := strings.NewReplacer("NAMESPACE", namespace, "DIR", dir, "PORT_IMAPS", fmt.Sprint(tlsPort), "PORT_IMAP", fmt.Sprint(port)).Replace(dovecotConf)
	confFile := filepath.Join(dir, "dovecot.conf")
	must(t, os.WriteFile(confFile, []byte(conf), 0o644))

	cmd := exec.Command(bin, "-F", "-c", confFile)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dovecot: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for _, a := range []string{d.addr, d.tlsAddr} {
		for {
			c, err := net.DialTimeout("tcp", a, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
				t.Fatalf("dovecot exited at start:\n%s", log)
			default:
			}
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
				t.Fatalf("dovecot did not listen on %s within 10s:\n%s", a, log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return d
}

// The Drafts folder is deliberately not called Drafts: the courier must
// find it by its SPECIAL-USE attribute, not by name (a plain "Drafts"
// exists too, as a decoy).
const dovecotConf = `
protocols = imap
listen = 127.0.0.1
base_dir = DIR/run
state_dir = DIR/state
log_path = DIR/dovecot.log
ssl = yes
ssl_cert = <DIR/cert.pem
ssl_key = <DIR/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
first_valid_uid = 1
auth_master_user_separator = *
auth_failure_delay = 0
service imap-login {
  inet_listener imap {
    port = PORT_IMAP
  }
  inet_listener imaps {
    port = PORT_IMAPS
    ssl = yes
  }
  chroot =
}
service anvil {
  chroot =
}
passdb {
  driver = passwd-file
  args = DIR/masters
  master = yes
  pass = yes
}
passdb {
  driver = passwd-file
  args = DIR/users
}
userdb {
  driver = passwd-file
  args = DIR/users
}
NAMESPACE
`

const defaultNamespace = `namespace inbox {
  inbox = yes
  mailbox Brouillons {
    special_use = \Drafts
    auto = create
  }
  mailbox Drafts {
    auto = create
  }
}`

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func (d *dovecot) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: d.roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
