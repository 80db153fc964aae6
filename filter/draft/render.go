// Package draft writes the reply a rep finds in their Drafts folder: it
// picks the reply template for the verdict's plan in the buyer's language
// (English when we have none), renders it with the extracted fields, the
// supplier facts and the rep, and builds an RFC 5322 message threaded to the
// inquiry with the inquiry quoted below.
//
// Templates are Go text/template files that ops edit in place (see the
// top-level templates folder for the naming rules). A Renderer reloads them
// when they change or when asked (SIGHUP); a set that fails to parse or to
// render sample data is reported as file:line problems and the last good set
// stays in use, so a typo never stops drafts.
//
// What the buyer wrote is only ever template data, never template text, and
// every header value derived from it is cleaned of control characters and
// truncated, so an inquiry cannot inject headers or template code.
package draft

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/tradesift/tradesift/filter/config"
	"github.com/tradesift/tradesift/filter/judge"
	"github.com/tradesift/tradesift/templates"
)

// Plans lists the reply plans a template set must cover.
var plans = []string{
	judge.PlanQuote, judge.PlanNotSellingNow, judge.PlanCannotFulfil,
	judge.PlanSampleTerms, judge.PlanCounterInquiry, judge.PlanNotUrgent,
	judge.PlanNeedTime, judge.PlanGuarded,
}

var buyerTypes = []string{
	judge.Sourcing, judge.MarketEntry, judge.InfoGathering,
	judge.SampleSeeking, judge.IntelProbe,
}

// DefaultLang is the fallback language; every plan must exist in it.
const DefaultLang = "en"

// Renderer turns verdicts into drafts. It is safe for concurrent use.
type Renderer struct {
	sup  *config.Supplier
	dir  string // "" for the embedded templates
	fsys fs.FS
	// label prefixes file names in messages ("templates" or dir).
	label string

	mu    sync.RWMutex
	set   *set
	stamp string // names, sizes and mtimes of the loaded files
}

// set is one parsed, checked generation of templates.
type set struct {
	byKey map[string]*entry // "quote.en", "quote.market-entry.es"
	langs []string
}

type entry struct {
	key  string // plan[.buyertype].lang
	plan string
	bt   string
	lang string
	file string // as shown in messages
	t    *template.Template
}

// New loads the templates of dir, or the embedded ones when dir is "". The
// set must parse and render the sample data without error.
func New(dir string, sup *config.Supplier) (*Renderer, error) {
	if sup == nil {
		return nil, errors.New("draft: no supplier")
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	r := &Renderer{sup: sup, dir: dir}
	if dir == "" {
		r.fsys, r.label = templates.FS, "templates"
	} else {
		r.fsys, r.label = os.DirFS(dir), dir
	}
	s, stamp, errs := r.load()
	if len(errs) > 0 {
		return nil, &Error{Problems: errs}
	}
	r.set, r.stamp = s, stamp
	return r, nil
}

// Error lists template problems, one "file:line: what" per entry.
type Error struct {
	Problems []error
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Reload reads the templates again. When the new set is broken, the error
// lists its problems and the last good set stays in use.
func (r *Renderer) Reload() error {
	s, stamp, errs := r.load()
	if len(errs) > 0 {
		return &Error{Problems: errs}
	}
	r.mu.Lock()
	r.set, r.stamp = s, stamp
	r.mu.Unlock()
	return nil
}

// Changed reports whether the template files differ (names, sizes, mtimes)
// from the set in use. The embedded set never changes.
func (r *Renderer) Changed() bool {
	if r.dir == "" {
		return false
	}
	stamp, err := r.stampNow()
	if err != nil {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return stamp != r.stamp
}

// Watch polls the template folder every interval until done is closed and
// reloads when files changed; report gets each reload's outcome (nil on
// success). A broken edit is reported once, not at every poll.
func (r *Renderer) Watch(done <-chan struct{}, every time.Duration, report func(error)) {
	if r.dir == "" {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	failed := ""
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if !r.Changed() {
			continue
		}
		stamp, _ := r.stampNow()
		if stamp == failed {
			continue
		}
		err := r.Reload()
		if err != nil {
			failed = stamp
		} else {
			failed = ""
		}
		if report != nil {
			report(err)
		}
	}
}

// Check loads the templates as they are on disk now (not the set in use)
// and renders every one of them against sample data for every buyer type,
// returning the problems as "file:line: what". For `tradesift templates
// check`.
func (r *Renderer) Check() []error {
	_, _, errs := r.load()
	return errs
}

// checkDir says clearly when a configured templates folder is missing.
func checkDir(dir string) error {
	if dir == "" {
		return nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		wd, _ := os.Getwd()
		return fmt.Errorf("templates folder %q is not a directory (relative paths start from the working directory, %s; an empty [drafts] templates uses the built-in set)", dir, wd)
	}
	return nil
}

// CheckDir is Check without a running Renderer.
func CheckDir(dir string, sup *config.Supplier) []error {
	if err := checkDir(dir); err != nil {
		return []error{err}
	}
	r := &Renderer{sup: sup, dir: dir}
	if dir == "" {
		r.fsys, r.label = templates.FS, "templates"
	} else {
		r.fsys, r.label = os.DirFS(dir), dir
	}
	_, _, errs := r.load()
	return errs
}

// Templates lists the keys of the set in use, sorted
// ("counter-inquiry.ar", …, "quote.market-entry.en", …).
func (r *Renderer) Templates() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	keys := make([]string, 0, len(r.set.byKey))
	for k := range r.set.byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Languages lists the languages of the set in use.
func (r *Renderer) Languages() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]string(nil), r.set.langs...)
}

func (r *Renderer) current() *set {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.set
}

func (r *Renderer) fileLabel(name string) string {
	if r.dir == "" {
		return path.Join(r.label, name)
	}
	return filepath.Join(r.label, name)
}

func (r *Renderer) stampNow() (string, error) {
	ents, err := fs.ReadDir(r.fsys, ".")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".tmpl") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s %d %d\n", e.Name(), info.Size(), info.ModTime().UnixNano())
	}
	return b.String(), nil
}

// load parses every *.tmpl file and renders sample data through each. It
// returns all problems at once.
func (r *Renderer) load() (*set, string, []error) {
	stamp, err := r.stampNow()
	if err != nil {
		return nil, "", []error{fmt.Errorf("%s: %v", r.label, err)}
	}
	ents, _ := fs.ReadDir(r.fsys, ".")
	var errs []error
	commons := map[string]string{} // lang -> file name
	type planFile struct{ name, plan, bt, lang string }
	var files []planFile
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".tmpl") {
			continue
		}
		parts := strings.Split(strings.TrimSuffix(name, ".tmpl"), ".")
		lang := parts[len(parts)-1]
		if len(parts) < 2 || len(parts) > 3 || !isLang(lang) {
			errs = append(errs, fmt.Errorf("%s: name must be PLAN[.BUYERTYPE].LANG.tmpl, LANG a two-letter ISO 639-1 code", r.fileLabel(name)))
			continue
		}
		if parts[0] == "common" && len(parts) == 2 {
			commons[lang] = name
			continue
		}
		if !contains(plans, parts[0]) {
			errs = append(errs, fmt.Errorf("%s: unknown reply plan %q (one of %s)", r.fileLabel(name), parts[0], strings.Join(plans, ", ")))
			continue
		}
		pf := planFile{name: name, plan: parts[0], lang: lang}
		if len(parts) == 3 {
			if !contains(buyerTypes, parts[1]) {
				errs = append(errs, fmt.Errorf("%s: unknown buyer type %q (one of %s)", r.fileLabel(name), parts[1], strings.Join(buyerTypes, ", ")))
				continue
			}
			pf.bt = parts[1]
		}
		files = append(files, pf)
	}

	bases := map[string]*template.Template{}
	base := func(lang string) (*template.Template, error) {
		if t, ok := bases[lang]; ok {
			return t, nil
		}
		t := template.New("").Funcs(funcs).Option("missingkey=error")
		name, ok := commons[lang]
		if !ok {
			name, ok = commons[DefaultLang]
		}
		if ok {
			text, err := fs.ReadFile(r.fsys, name)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", r.fileLabel(name), err)
			}
			if _, err := t.New(r.fileLabel(name)).Parse(string(text)); err != nil {
				return nil, cleanErr(err)
			}
		}
		bases[lang] = t
		return t, nil
	}

	s := &set{byKey: map[string]*entry{}}
	langs := map[string]bool{}
	for _, pf := range files {
		b, err := base(pf.lang)
		if err != nil {
			errs = appendOnce(errs, err)
			continue
		}
		t, err := b.Clone()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		text, err := fs.ReadFile(r.fsys, pf.name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", r.fileLabel(pf.name), err))
			continue
		}
		label := r.fileLabel(pf.name)
		if _, err := t.New(label).Parse(string(text)); err != nil {
			errs = append(errs, cleanErr(err))
			continue
		}
		if t.Lookup("body") == nil {
			errs = append(errs, fmt.Errorf("%s: defines no \"body\" template ({{define \"body\"}}…{{end}})", label))
			continue
		}
		key := pf.plan + "." + pf.lang
		if pf.bt != "" {
			key = pf.plan + "." + pf.bt + "." + pf.lang
		}
		s.byKey[key] = &entry{key: key, plan: pf.plan, bt: pf.bt, lang: pf.lang, file: label, t: t}
		langs[pf.lang] = true
	}
	for _, p := range plans {
		if _, ok := s.byKey[p+"."+DefaultLang]; !ok {
			errs = append(errs, fmt.Errorf("%s: no template for plan %q in %q (%s.%s.tmpl), the fallback language", r.label, p, DefaultLang, p, DefaultLang))
		}
	}
	for l := range langs {
		s.langs = append(s.langs, l)
	}
	sort.Strings(s.langs)

	// Render samples through every template: unknown fields and bad
	// function calls only show when executed.
	keys := make([]string, 0, len(s.byKey))
	for k := range s.byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := s.byKey[k]
		for _, d := range r.samples(e) {
			if _, _, err := e.render(d); err != nil {
				errs = appendOnce(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, "", errs
	}
	return s, stamp, nil
}

// lookup finds the template for plan and buyer type in lang, falling back
// to the buyer-type-neutral one, then to English.
func (s *set) lookup(plan, bt, lang string) *entry {
	for _, l := range []string{lang, DefaultLang} {
		if l == "" {
			continue
		}
		if bt != "" {
			if e, ok := s.byKey[plan+"."+bt+"."+l]; ok {
				return e
			}
		}
		if e, ok := s.byKey[plan+"."+l]; ok {
			return e
		}
	}
	return nil
}

// render executes the subject and body of e.
func (e *entry) render(d *Data) (subject, body string, err error) {
	var b strings.Builder
	if e.t.Lookup("subject") != nil {
		if err := e.t.ExecuteTemplate(&b, "subject", d); err != nil {
			return "", "", cleanErr(err)
		}
		subject = b.String()
		b.Reset()
	}
	if err := e.t.ExecuteTemplate(&b, "body", d); err != nil {
		return "", "", cleanErr(err)
	}
	return subject, tidy(b.String()), nil
}

// cleanErr turns "template: FILE:LINE: what" into "FILE:LINE: what".
func cleanErr(err error) error {
	msg := strings.TrimPrefix(err.Error(), "template: ")
	return errors.New(msg)
}

func appendOnce(errs []error, err error) []error {
	for _, e := range errs {
		if e.Error() == err.Error() {
			return errs
		}
	}
	return append(errs, err)
}

// tidy trims trailing blanks of lines and runs of empty lines that
// template actions leave behind.
func tidy(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n") + "\n"
}

func isLang(s string) bool {
	if len(s) != 2 {
		return false
	}
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
