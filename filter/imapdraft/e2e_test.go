package imapdraft

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/decode"
	"github.com/tradesift/tradesift/filter/draft"
	"github.com/tradesift/tradesift/filter/extract"
	"github.com/tradesift/tradesift/filter/judge"
)

// A raw Spanish inquiry goes through decode, extract and judge with the
// example configuration, and its draft lands in the rep's Drafts folder of
// a real Dovecot, in Spanish and threaded to the inquiry.
func TestInquiryToDraftsFolder(t *testing.T) {
	dc := startDovecot(t)
	cfg, err := config.Load("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	raw := strings.ReplaceAll(`From: "Carlos Ruiz" <compras@patinetes-iberia.es>
To: sales@everride-scooter.com
Subject: =?utf-8?q?Solicitud_de_cotizaci=C3=B3n_ER-K200?=
Date: Tue, 24 Nov 2026 10:12:00 +0100
Message-ID: <cot-2026-118@patinetes-iberia.es>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Estimados señores:

Somos importadores de artículos deportivos en España y queremos comprar
1.800 unidades del patinete ER-K200 (un contenedor de 40' HQ), FOB Ningbo,
pago por transferencia T/T. ¿Podrían enviarnos su mejor precio y el plazo
de entrega?

Atentamente,
Carlos Ruiz
Jefe de Compras
Patinetes Iberia S.L.
Calle de Alcalá 120, 28009 Madrid, España
Tel. +34 91 123 45 67
www.patinetes-iberia.es
`, "\n", "\r\n")
	m, err := decode.Parse(strings.NewReader(raw), decode.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := extract.New(&cfg.Supplier)
	if err != nil {
		t.Fatal(err)
	}
	f := x.Extract(m)
	j, err := judge.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := j.Judge(m, f, nil)
	t.Logf("verdict: %s %s %s rep %s, language %q", v.BuyerType, v.Grade, v.ReplyPlan, v.Rep, v.Fields.Language)
	if v.BuyerType == judge.None {
		t.Fatalf("inquiry judged as none: %+v", v)
	}
	rep := cfg.Supplier.RepByID(v.Rep)
	if rep == nil {
		t.Fatalf("no rep %q", v.Rep)
	}
	r, err := draft.New("", &cfg.Supplier)
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.Draft(m, v, *rep, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.Lang != "es" {
		t.Errorf("draft language %s, want es", d.Lang)
	}

	// Log in as the rep through the master user: the test server knows
	// lily.chen (Europe) and kevin.wang; route any rep to lily's mailbox.
	c := &Courier{Addr: dc.addr, Username: "lily.chen@everride-scooter.com", MasterUser: testMaster, MasterPassword: Secret{File: writeSecret(t, testMasterPassword)}}
	if errs := c.Deliver(context.Background(), d.From, []string{d.From}, bytes.NewReader(d.Bytes)); errs[0] != nil {
		t.Fatal(errs[0])
	}
	msgs := fetchDrafts(t, dc, "lily.chen@everride-scooter.com", "lily-secret", "Brouillons")
	if len(msgs) != 1 {
		t.Fatalf("%d drafts", len(msgs))
	}
	env := msgs[0].Envelope
	if env.Subject != "Re: Solicitud de cotización ER-K200" || len(env.InReplyTo) != 1 || env.InReplyTo[0] != "cot-2026-118@patinetes-iberia.es" {
		t.Errorf("envelope %q %v", env.Subject, env.InReplyTo)
	}
	mr, err := mail.CreateReader(bytes.NewReader(msgs[0].BodySection[0].Bytes))
	must(t, err)
	p, err := mr.NextPart()
	must(t, err)
	var body bytes.Buffer
	body.ReadFrom(p.Body)
	for _, want := range []string{"Estimado/a Carlos Ruiz:", "en nombre de Patinetes Iberia S.L. Nos complace", "> Somos importadores de artículos deportivos en España", "Atentamente,"} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("draft lacks %q:\n%s", want, body.String())
		}
	}
}
