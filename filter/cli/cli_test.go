package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const exampleConfig = "../../config.example.toml"

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// withExample runs in the repository root, where the example config's
// relative paths (./templates) resolve.
func withExample(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Dir(abs))
	return abs
}

func TestCheckConfig(t *testing.T) {
	cfg := withExample(t)
	if code, out, errs := run(t, "", "check-config", "-config", cfg); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("check-config example: %d %q %q", code, out, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[smtp]\nlisten = \"nope\"\nlisen = 1\n"), 0o644)
	code, _, errs := run(t, "", "check-config", "-config", bad)
	if code == 0 || !strings.Contains(errs, bad+":3: unknown key \"smtp.lisen\"") {
		t.Errorf("check-config bad: %d %q", code, errs)
	}
	if code, _, _ := run(t, "", "check-config"); code == 0 {
		t.Error("check-config without -config succeeded")
	}
	if code, _, _ := run(t, "", "no-such-command"); code != 2 {
		t.Error("unknown command not refused with 2")
	}
}

const inquiry = "From: Juan Perez <juan@ferreteria-ejemplo.com.mx>\r\n" +
	"To: sales@everride-scooter.com\r\n" +
	"Subject: Cotizacion ER-K200\r\n" +
	"Date: Tue, 14 Jan 2025 10:00:00 -0600\r\n" +
	"Message-ID: <abc@ferreteria-ejemplo.com.mx>\r\n" +
	"\r\n" +
	"Estimados, necesitamos 2,000 piezas del modelo ER-K200, precio FOB Ningbo, pago T/T.\r\n" +
	"Por favor envien su mejor cotizacion y el plazo de entrega.\r\n\r\n" +
	"Saludos,\r\nJuan Perez\r\nGerente de Compras\r\nFerreteria Ejemplo S.A. de C.V.\r\n" +
	"Av. Reforma 123, Ciudad de Mexico, Mexico\r\nTel: +52 55 1234 5678\r\nwww.ferreteria-ejemplo.com.mx\r\n"

func TestClassifyJSON(t *testing.T) {
	cfg := withExample(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "inquiry.eml")
	os.WriteFile(good, []byte(inquiry), 0o644)
	missing := filepath.Join(dir, "missing.eml")
	code, out, errs := run(t, "", "classify", "-config", cfg, "-json", good, missing)
	if code != 1 {
		t.Errorf("exit %d with an unreadable file, want 1 (stderr %q)", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %d:\n%s", len(lines), out)
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if first["buyer_type"] != "sourcing" || first["grade"] != "A" || first["rep"] != "kevin.wang" {
		t.Errorf("inquiry judged %v/%v/%v, want sourcing/A/kevin.wang:\n%s", first["buyer_type"], first["grade"], first["rep"], lines[0])
	}
	fields, _ := first["fields"].(map[string]any)
	if fields["incoterm"] != "FOB" || fields["country"] != "MX" || fields["language"] != "es" {
		t.Errorf("fields: %v", fields)
	}
	if second["error"] == nil || second["file"] != missing {
		t.Errorf("unreadable file gave %v", second)
	}
	// stdin
	code, out, _ = run(t, "From: a@b.example\r\nSubject: hi\r\n\r\nlunch tomorrow?\r\n", "classify", "-config", cfg, "-json", "-")
	if code != 0 || !strings.Contains(out, `"buyer_type":"none"`) || !strings.Contains(out, `"grade":""`) {
		t.Errorf("stdin classify: %d %s", code, out)
	}
}

func TestDraftAndTemplatesCheck(t *testing.T) {
	cfg := withExample(t)
	if code, out, errs := run(t, "", "templates", "check", "-config", cfg); code != 0 {
		t.Fatalf("templates check: %d %q %q", code, out, errs)
	}
	code, out, errs := run(t, inquiry, "draft", "-config", cfg, "-")
	if code != 0 {
		t.Fatalf("draft: %d %q", code, errs)
	}
	for _, want := range []string{"In-Reply-To: <abc@ferreteria-ejemplo.com.mx>", "From: ", "kevin.wang@everride-scooter.com", "Subject: Re: Cotizacion ER-K200"} {
		if !strings.Contains(out, want) {
			t.Errorf("draft lacks %q:\n%s", want, out)
		}
	}
	// A broken template set is reported with file:line.
	tdir := t.TempDir()
	entries, _ := os.ReadDir("templates")
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join("templates", e.Name()))
		os.WriteFile(filepath.Join(tdir, e.Name()), b, 0o644)
	}
	os.WriteFile(filepath.Join(tdir, "quote.en.tmpl"), []byte("{{define \"subject\"}}Re{{end}}\n{{define \"body\"}}\n{{.Nope.Field}\n{{end}}\n"), 0o644)
	conf, _ := os.ReadFile(cfg)
	broken := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(broken, bytes.Replace(conf, []byte(`templates = "./templates"`), []byte(`templates = "`+tdir+`"`), 1), 0o644)
	code, _, errs = run(t, "", "templates", "check", "-config", broken)
	if code == 0 || !strings.Contains(errs, "quote.en.tmpl:3") {
		t.Errorf("broken template: exit %d, stderr %q", code, errs)
	}
}
