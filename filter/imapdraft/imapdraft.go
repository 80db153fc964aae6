// Package imapdraft puts drafted replies into a rep's Drafts folder over
// IMAP: it logs in (the rep's own credentials or a Dovecot-style master
// user, "rep*master"), finds the folder marked SPECIAL-USE \Drafts
// (RFC 6154; a folder named Drafts otherwise) and APPENDs the draft with
// the \Draft flag (RFC 9051 §6.3.12).
//
// A Courier implements deliver.Courier, so the draft queue retries it like
// any other destination: authentication failures and refusals that cannot
// change are permanent, network trouble and busy servers are temporary.
// Passwords are read at each delivery from a file or an environment
// variable, so rotating a secret needs no restart.
package imapdraft

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/deliver"
)

// Secret names where a password is kept: the first line of File, or the
// environment variable Env. Exactly one is set.
type Secret struct {
	File string
	Env  string
}

// Read returns the password.
func (s Secret) Read() (string, error) {
	switch {
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimRight(line, "\r")
		if line == "" {
			return "", fmt.Errorf("password file %s is empty", s.File)
		}
		return line, nil
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
		return v, nil
	}
	return "", errors.New("no password_file or password_env configured")
}

// Courier appends messages to one IMAP mailbox.
type Courier struct {
	// Addr is the server, host:port.
	Addr string
	// TLS is implicit TLS (imaps://, port 993); StartTLS upgrades a plain
	// connection. Neither is plain text, for loopback tests only.
	TLS       bool
	StartTLS  bool
	TLSConfig *tls.Config

	// Username is the rep's login. With MasterUser set, the courier logs
	// in as Username + "*" + MasterUser with MasterPassword.
	Username       string
	Password       Secret
	MasterUser     string
	MasterPassword Secret

	// Folder is used when no folder has the \Drafts attribute; it is
	// created when missing. Default "Drafts".
	Folder string
	// Timeout bounds one delivery when ctx has no deadline. Default 1m.
	Timeout time.Duration
}

// New builds the courier for a rep whose drafts go to an imap:// or
// imaps:// target, from the [drafts] section and the rep's address.
func New(d *config.Drafts, rep config.Rep) (*Courier, error) {
	r := d.Rep(rep.ID)
	t, err := config.ParseTarget(r.Deliver)
	if err != nil {
		return nil, err
	}
	if t.Scheme != "imap" {
		return nil, fmt.Errorf("imapdraft: rep %s delivers to %q, not imap", rep.ID, r.Deliver)
	}
	c := &Courier{
		Addr:     t.Address,
		TLS:      t.TLS,
		StartTLS: !t.TLS && d.StartTLS,
		Username: r.Username,
		Password: Secret{File: r.PasswordFile, Env: r.PasswordEnv},
		Folder:   d.Folder,
	}
	if c.Username == "" {
		c.Username = rep.Address
	}
	if r.MasterUser != "" {
		c.MasterUser = r.MasterUser
		c.MasterPassword = Secret{File: d.MasterPasswordFile, Env: d.MasterPasswordEnv}
	}
	if d.TLSCAFile != "" {
		pem, err := os.ReadFile(d.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("imapdraft: tls_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("imapdraft: tls_ca_file %s holds no PEM certificate", d.TLSCAFile)
		}
		host, _, _ := net.SplitHostPort(t.Address)
		c.TLSConfig = &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return c, nil
}

// Deliver appends msg once to the configured mailbox; every recipient gets
// the same result. from and rcpts are not used by IMAP.
func (c *Courier) Deliver(ctx context.Context, from string, rcpts []string, msg io.Reader) []error {
	err := c.Append(ctx, msg)
	errs := make([]error, len(rcpts))
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// Append stores msg in the Drafts folder with the \Draft flag.
func (c *Courier) Append(ctx context.Context, msg io.Reader) error {
	body, err := io.ReadAll(msg)
	if err != nil {
		return fmt.Errorf("imapdraft: reading draft: %w", err)
	}
	body = crlf(body)
	if _, ok := ctx.Deadline(); !ok {
		to := c.Timeout
		if to <= 0 {
			to = time.Minute
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, to)
		defer cancel()
	}

	user, pass, err := c.credentials()
	if err != nil {
		return deliver.Permanent(fmt.Errorf("imapdraft: %s: %w", c.Username, err))
	}

	cl, err := c.dial(ctx)
	if err != nil {
		return fmt.Errorf("imapdraft: %s: %w", c.Addr, err)
	}
	defer cl.Close()
	// The client blocks on the network; closing the connection when ctx
	// ends unblocks it.
	stop := context.AfterFunc(ctx, func() { cl.Close() })
	defer stop()

	if err := cl.WaitGreeting(); err != nil {
		return c.wrap("greeting", ctx, err)
	}
	if cl.Caps().Has(imap.CapLoginDisabled) {
		return deliver.Permanent(fmt.Errorf("imapdraft: %s: server refuses LOGIN on this connection (use imaps:// or starttls)", c.Addr))
	}
	if err := cl.Login(user, pass).Wait(); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo &&
			ie.Code != imap.ResponseCodeUnavailable && ie.Code != imap.ResponseCodeInUse && ie.Code != imap.ResponseCodeServerBug {
			return deliver.Permanent(fmt.Errorf("imapdraft: login as %s: %w", user, err))
		}
		return c.wrap("login as "+user, ctx, err)
	}
	folder, err := c.draftsFolder(cl)
	if err != nil {
		return c.wrap("finding Drafts", ctx, err)
	}
	if err := appendTo(cl, folder, body); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Code == imap.ResponseCodeTryCreate {
			if cerr := cl.Create(folder, nil).Wait(); cerr != nil {
				return c.wrap("creating "+folder, ctx, cerr)
			}
			err = appendTo(cl, folder, body)
		}
		if err != nil {
			return c.wrap("APPEND to "+folder, ctx, err)
		}
	}
	_ = cl.Logout().Wait()
	return nil
}

func appendTo(cl *imapclient.Client, folder string, body []byte) error {
	cmd := cl.Append(folder, int64(len(body)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDraft}})
	if _, err := cmd.Write(body); err != nil {
		cmd.Close()
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

func (c *Courier) credentials() (user, pass string, err error) {
	if c.MasterUser != "" {
		pass, err = c.MasterPassword.Read()
		return c.Username + "*" + c.MasterUser, pass, err
	}
	pass, err = c.Password.Read()
	return c.Username, pass, err
}

func (c *Courier) dial(ctx context.Context) (*imapclient.Client, error) {
	d := &net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return nil, err
	}
	tc := c.tlsConfig()
	opts := &imapclient.Options{TLSConfig: tc}
	switch {
	case c.TLS:
		tconn := tls.Client(conn, tc)
		if err := tconn.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		return imapclient.New(tconn, opts), nil
	case c.StartTLS:
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		cl, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return nil, err
		}
		conn.SetDeadline(time.Time{})
		return cl, nil
	}
	return imapclient.New(conn, opts), nil
}

func (c *Courier) tlsConfig() *tls.Config {
	var tc *tls.Config
	if c.TLSConfig != nil {
		tc = c.TLSConfig.Clone()
	} else {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tc.ServerName == "" {
		tc.ServerName, _, _ = net.SplitHostPort(c.Addr)
	}
	if tc.NextProtos == nil {
		tc.NextProtos = []string{"imap"}
	}
	return tc
}

// draftsFolder is the mailbox with the \Drafts attribute, else one whose
// last name component is c.Folder (case-insensitively), else c.Folder.
func (c *Courier) draftsFolder(cl *imapclient.Client) (string, error) {
	var opts *imap.ListOptions
	caps := cl.Caps()
	if caps.Has(imap.CapSpecialUse) && (caps.Has(imap.CapListExtended) || caps.Has(imap.CapIMAP4rev2)) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	boxes, err := cl.List("", "*", opts).Collect()
	if err != nil {
		return "", err
	}
	for _, b := range boxes {
		for _, a := range b.Attrs {
			if a == imap.MailboxAttrDrafts {
				return b.Mailbox, nil
			}
		}
	}
	want := c.Folder
	if want == "" {
		want = "Drafts"
	}
	for _, b := range boxes {
		name := b.Mailbox
		if b.Delim != 0 {
			if i := strings.LastIndexByte(name, byte(b.Delim)); i >= 0 && b.Delim < 0x80 {
				name = name[i+1:]
			}
		}
		if strings.EqualFold(name, want) {
			return b.Mailbox, nil
		}
	}
	return want, nil
}

// wrap classifies err: refusals that will not change are permanent,
// everything else (network, timeouts, busy server) is temporary.
func (c *Courier) wrap(what string, ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("imapdraft: %s: %s: %w", c.Addr, what, ctx.Err())
	}
	e := fmt.Errorf("imapdraft: %s: %s: %w", c.Addr, what, err)
	var ie *imap.Error
	if errors.As(err, &ie) {
		switch ie.Code {
		case imap.ResponseCodeTooBig, imap.ResponseCodeNoPerm, imap.ResponseCodeAuthorizationFailed,
			imap.ResponseCodeAuthenticationFailed, imap.ResponseCodeNonExistent, imap.ResponseCodeCannot:
			return deliver.Permanent(e)
		}
		if ie.Type == imap.StatusResponseTypeBad {
			return deliver.Permanent(e)
		}
	}
	return e
}

// crlf turns bare LF line ends into CRLF, as IMAP literals expect.
func crlf(b []byte) []byte {
	if !bytes.Contains(b, []byte("\n")) || bytes.Count(b, []byte("\r\n")) == bytes.Count(b, []byte("\n")) {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}
