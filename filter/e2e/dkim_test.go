package e2e

import (
	"bufio"
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
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/tradesift/tradesift/filter/internal/mtatest"
)

// txtTable answers DKIM key lookups from a fixed table, the way
// realmail/dkim/dns-records.txt describes them.
type txtTable map[string]string

func (tt txtTable) lookup(name string) ([]string, error) {
	v, ok := tt[strings.ToLower(strings.TrimSuffix(name, "."))]
	switch {
	case !ok || v == "NXDOMAIN":
		return nil, fmt.Errorf("%s: NXDOMAIN", name)
	case strings.HasPrefix(v, "~~"):
		return nil, fmt.Errorf("%s: %s", name, strings.Trim(v, "~"))
	}
	return []string{v}, nil
}

func readDNSRecords(t testing.TB, path string) txtTable {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tt := txtTable{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if value == `""` {
			value = ""
		}
		tt[strings.ToLower(name)] = value
	}
	return tt
}

// dkimResults verifies every signature of msg and returns one word per
// signature: "pass" or the error.
func dkimResults(msg []byte, tt txtTable) []string {
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: tt.lookup})
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	var out []string
	for _, v := range vs {
		if v.Err == nil {
			out = append(out, "pass "+v.Domain)
		} else {
			out = append(out, fmt.Sprintf("%s: %v", v.Domain, v.Err))
		}
	}
	return out
}

func passes(results []string) int {
	n := 0
	for _, r := range results {
		if strings.HasPrefix(r, "pass ") {
			n++
		}
	}
	return n
}

// TestDKIMRealSignaturesSurvive relays every message of realmail/dkim
// that has a passing signature (keys from its dns-records.txt) and wants
// the same results after relaying.
func TestDKIMRealSignaturesSurvive(t *testing.T) {
	dir := filepath.Join(mtatest.SharedDir(t), "realmail", "dkim")
	tt := readDNSRecords(t, filepath.Join(dir, "dns-records.txt"))
	var msgs []mailFile
	var before [][]string
	for _, m := range loadRealmail(t) {
		if !strings.HasPrefix(m.Name, "dkim/") || mtatest.HasBareCR(m.Data) {
			continue
		}
		r := dkimResults(m.Data, tt)
		if passes(r) == 0 {
			continue
		}
		msgs = append(msgs, m)
		before = append(before, r)
	}
	if len(msgs) == 0 {
		t.Fatal("no passing DKIM samples in realmail/dkim")
	}
	mail := filepath.Join(t.TempDir(), "mail")
	ts := startRelay(t, relayConfig{Downstream: "maildir:" + mail, MaxLineLength: realmailMaxLine})
	errs := sendAll(t, ts.Addr, msgs, 4)
	accepted := checkRefusals(t, msgs, errs, realmailMaxLine)
	out := waitMaildir(t, mail, accepted, 30*time.Second)
	seen := 0
	for _, m := range out {
		i := indexOfRcpt(m.Rcpt)
		if i < 0 || i >= len(msgs) {
			continue
		}
		seen++
		after := dkimResults(m.Data, tt)
		if strings.Join(after, "\n") != strings.Join(before[i], "\n") {
			t.Errorf("%s: DKIM before relaying %q, after %q", msgs[i].Name, before[i], after)
		}
	}
	if seen != accepted {
		t.Errorf("%d of %d delivered", seen, accepted)
	}
	t.Logf("%d real DKIM-signed messages relayed, %d signatures passing before and after", seen, countPasses(before))
}

func countPasses(rs [][]string) int {
	n := 0
	for _, r := range rs {
		n += passes(r)
	}
	return n
}

func waitMaildir(t testing.TB, root string, n int, limit time.Duration) []mtatest.MaildirMessage {
	t.Helper()
	deadline := time.Now().Add(limit)
	for mtatest.CountMaildirs(root) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	out, err := mtatest.ReadMaildirs(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < n {
		t.Errorf("%d of %d messages delivered after %v", len(out), n, limit)
	}
	return out
}

// pySign signs files with python3-dkim (Debian's dkimpy), the signer
// many MTAs use: argv is KEYFILE, then pairs of canonicalization
// ("relaxed/simple") and file; each file gets a sibling FILE.signed.
// One process for all: importing dkim takes seconds here.
const pySign = `
import sys, dkim
key = open(sys.argv[1], 'rb').read()
args = sys.argv[2:]
for canon, path in zip(args[0::2], args[1::2]):
    hc, bc = canon.split('/')
    msg = open(path, 'rb').read()
    sig = dkim.sign(msg, b'e2e', b'buyer.example', key, canonicalize=(hc.encode(), bc.encode()),
        include_headers=[b'from', b'to', b'subject', b'date', b'message-id', b'mime-version', b'content-type'])
    open(path + '.signed', 'wb').write(sig + msg)
`

// pyVerify verifies files with dkimpy, the key record given as argv[1];
// it prints one "pass" or "fail" line per file.
const pyVerify = `
import sys, dkim
record = sys.argv[1].encode()
for path in sys.argv[2:]:
    ok = dkim.verify(open(path, 'rb').read(), dnsfunc=lambda name, timeout=5: record)
    print('pass' if ok else 'fail')
`

func havePythonDKIM() bool {
	return exec.Command(mtatest.Python3Path, "-c", "import dkim").Run() == nil
}

// TestDKIMSignedSurvives signs messages (python3-dkim when installed,
// go-msgauth otherwise) with simple and relaxed canonicalization, relays
// them, and verifies the output with go-msgauth and with dkimpy.
func TestDKIMSignedSurvives(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	record := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)
	tt := txtTable{"e2e._domainkey.buyer.example": record}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	python := havePythonDKIM()
	if !python {
		t.Log("python3-dkim not importable by /usr/bin/python3: signing with go-msgauth only")
	}

	// Corpus inquiries plus 8-bit and ISO-2022-JP realmail samples.
	shared := mtatest.SharedDir(t)
	var sources []string
	for _, p := range []string{
		"corpus/001.eml", "corpus/d001.eml", "corpus/d020.eml",
		"realmail/charsets/ruby-mail/japanese_shift_jis.eml",
		"realmail/charsets/thunderbird/iso-2022-jp-not-qp.eml",
		"realmail/charsets/mimekit/japanese.txt",
	} {
		if _, err := os.Stat(filepath.Join(shared, p)); err == nil {
			sources = append(sources, p)
		}
	}
	canons := []string{"simple/simple", "relaxed/relaxed", "relaxed/simple"}
	var msgs []mailFile
	tmp := t.TempDir()
	pyArgs := []string{"-c", pySign, keyFile}
	for _, src := range sources {
		raw, _ := os.ReadFile(filepath.Join(shared, src))
		raw = mtatest.ToCRLF(raw)
		for _, canon := range canons {
			m := mailFile{Name: src + " " + canon}
			if python {
				p := filepath.Join(tmp, fmt.Sprintf("m%d", len(msgs)))
				os.WriteFile(p, raw, 0o644)
				pyArgs = append(pyArgs, canon, p)
			} else {
				hc, bc, _ := strings.Cut(canon, "/")
				var b bytes.Buffer
				err := dkim.Sign(&b, bytes.NewReader(raw), &dkim.SignOptions{
					Domain: "buyer.example", Selector: "e2e", Signer: key,
					HeaderCanonicalization: dkim.Canonicalization(hc), BodyCanonicalization: dkim.Canonicalization(bc),
					HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"},
				})
				if err != nil {
					t.Fatal(err)
				}
				m.Data = b.Bytes()
			}
			msgs = append(msgs, m)
		}
	}
	if python {
		if out, err := exec.Command(mtatest.Python3Path, pyArgs...).CombinedOutput(); err != nil {
			t.Fatalf("dkimpy sign: %v\n%s", err, out)
		}
		for i := range msgs {
			msgs[i].Data, err = os.ReadFile(filepath.Join(tmp, fmt.Sprintf("m%d.signed", i)))
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, m := range msgs {
		if r := dkimResults(m.Data, tt); passes(r) != 1 {
			t.Fatalf("%s does not verify before relaying: %v", m.Name, r)
		}
	}

	mail := filepath.Join(t.TempDir(), "mail")
	ts := startRelay(t, relayConfig{Downstream: "maildir:" + mail, MaxLineLength: realmailMaxLine})
	errs := sendAll(t, ts.Addr, msgs, 4)
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s refused: %v", msgs[i].Name, err)
		}
	}
	out := waitMaildir(t, mail, len(msgs), 30*time.Second)
	pyArgs = []string{"-c", pyVerify, record}
	var names []string
	for _, m := range out {
		i := indexOfRcpt(m.Rcpt)
		if i < 0 || i >= len(msgs) {
			continue
		}
		if r := dkimResults(m.Data, tt); passes(r) != 1 {
			t.Errorf("%s: go-msgauth after relaying: %v", msgs[i].Name, r)
		}
		pyArgs = append(pyArgs, m.Path)
		names = append(names, msgs[i].Name)
	}
	if python {
		res, err := exec.Command(mtatest.Python3Path, pyArgs...).Output()
		lines := strings.Fields(string(res))
		if err != nil || len(lines) != len(names) {
			t.Fatalf("dkimpy verify: %v %q", err, res)
		}
		for i, l := range lines {
			if l != "pass" {
				t.Errorf("%s: dkimpy after relaying: %s", names[i], l)
			}
		}
	}
	t.Logf("%d signed messages (%d sources x 3 canonicalizations) verified after relaying (dkimpy: %v)", len(out), len(sources), python)
}
