// Package dkimtest signs test messages with a real DKIM signer, dkimpy
// (Debian's python3-dkim), so verification is tested against an
// implementation other than the one under test. The public key goes into
// a dnstest.Zone as a TXT record.
//
// When the signer is missing, tests skip with a one-line reason, unless
// TRADESIFT_REQUIRE_TOOLS=1, where they fail.
package dkimtest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tradesift/tradesift/filter/internal/dnstest"
)

// Python is Debian's interpreter, the one python3-dkim is installed for; a
// python3 earlier on the PATH may lack it.
const Python = "/usr/bin/python3"

// Signer holds one 2048-bit RSA key.
type Signer struct {
	keyFile string
	pubB64  string
}

var (
	once    sync.Once
	shared  *Signer
	initErr error
)

// New returns the signer of the test binary (one key, made once: RSA key
// generation is slow).
func New(t testing.TB) *Signer {
	t.Helper()
	dnstest.RequireTool(t, Python, "apt-get install python3-dkim")
	once.Do(func() { shared, initErr = newSigner() })
	if initErr != nil {
		t.Fatal(initErr)
	}
	return shared
}

func newSigner() (*Signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	// Outlives any one test: the signer is shared by the test binary.
	dir, err := os.MkdirTemp("", "tradesift-dkimtest-")
	if err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "key.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	return &Signer{keyFile: keyFile, pubB64: base64.StdEncoding.EncodeToString(pub)}, nil
}

// KeyRecord is the TXT record of the public key, for
// "<selector>._domainkey.<domain>".
func (s *Signer) KeyRecord() string { return "v=DKIM1; k=rsa; p=" + s.pubB64 }

// Request is one message to sign with selector Sel of domain D. Msg should
// be in wire form (CRLF line ends).
type Request struct {
	Msg    []byte
	Sel, D string
}

// signScript signs each file named on the command line (file, selector,
// domain, in threes) in place, in one interpreter: importing dkim can take
// seconds on a busy machine.
const signScript = `
import sys, dkim
key = open(sys.argv[1], 'rb').read()
args = sys.argv[2:]
for i in range(0, len(args), 3):
    f, sel, dom = args[i:i+3]
    msg = open(f, 'rb').read()
    sig = dkim.sign(msg, sel.encode(), dom.encode(), key,
                    include_headers=[b'from', b'to', b'subject', b'date', b'message-id'])
    open(f, 'wb').write(sig + msg)
`

// Sign returns each message with a DKIM-Signature field on top (relaxed/
// simple, rsa-sha256, signing From, To, Subject, Date, Message-ID).
func (s *Signer) Sign(t testing.TB, reqs ...Request) [][]byte {
	t.Helper()
	dir := t.TempDir()
	args := []string{"-c", signScript, s.keyFile}
	for i, r := range reqs {
		f := filepath.Join(dir, fmt.Sprintf("%d.eml", i))
		if err := os.WriteFile(f, r.Msg, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, f, r.Sel, r.D)
	}
	if out, err := exec.Command(Python, args...).CombinedOutput(); err != nil {
		if bytes.Contains(out, []byte("No module named 'dkim'")) {
			if os.Getenv("TRADESIFT_REQUIRE_TOOLS") == "1" {
				t.Fatalf("python3-dkim not importable by %s", Python)
			}
			t.Skipf("python3-dkim not importable by %s (apt-get install python3-dkim)", Python)
		}
		t.Fatalf("dkimpy sign: %v\n%s", err, out)
	}
	out := make([][]byte, len(reqs))
	for i := range reqs {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%d.eml", i)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("DKIM-Signature:")) {
			t.Fatalf("dkimpy gave %q", b)
		}
		out[i] = b
	}
	return out
}
