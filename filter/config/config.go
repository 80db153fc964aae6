// Package config reads tradesift's TOML configuration into plain structs and
// checks it. Unknown keys are errors, and every problem is reported at once as
// "file:line: what is wrong", the way a mail admin expects from postfix check
// or opendkim-testkey.
//
// Each section lives in its own file (smtp.go, supplier.go, auth.go,
// drafts.go); each has a validate method that adds to one problem list.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Config is the whole configuration file.
type Config struct {
	SMTP     SMTP     `toml:"smtp"`
	Queue    Queue    `toml:"queue"`
	Delivery Delivery `toml:"delivery"`
	DNS      DNS      `toml:"dns"`
	Auth     Auth     `toml:"auth"`
	Classify Classify `toml:"classify"`
	Drafts   Drafts   `toml:"drafts"`
	Metrics  Metrics  `toml:"metrics"`
	Log      Log      `toml:"log"`
	Supplier Supplier `toml:"supplier"`

	// Path is the file the configuration was read from; relative paths in
	// the configuration are resolved against the working directory, as
	// Postfix does, not against this file.
	Path string `toml:"-"`
}

// Error is the list of problems found in a configuration file.
type Error struct {
	Problems []string
}

func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

// Load reads, decodes and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes and validates data; path is used in messages only.
func Parse(path string, data []byte) (*Config, error) {
	c := Default()
	c.Path = path
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, &Error{Problems: decodeProblems(path, err)}
	}
	p := &problems{path: path, lines: keyLines(data)}
	c.validate(p)
	if len(p.list) > 0 {
		return nil, &Error{Problems: p.list}
	}
	return c, nil
}

func decodeProblems(path string, err error) []string {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var out []string
		for _, e := range strict.Errors {
			row, _ := e.Position()
			out = append(out, fmt.Sprintf("%s:%d: unknown key %q", path, row, strings.Join(e.Key(), ".")))
		}
		return out
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		msg := de.Error()
		if k := de.Key(); len(k) > 0 {
			msg = fmt.Sprintf("%s: %s", strings.Join(k, "."), msg)
		}
		return []string{fmt.Sprintf("%s:%d: %s", path, row, msg)}
	}
	return []string{fmt.Sprintf("%s: %v", path, err)}
}

// problems collects validation errors with the line of the key they concern.
type problems struct {
	path  string
	lines map[string]int
	list  []string
}

// add reports a problem about key, a dotted path such as "smtp.listen" or
// "supplier.product.2.model" (array elements are numbered from 0).
func (p *problems) add(key, format string, args ...any) {
	line := p.line(key)
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		p.list = append(p.list, fmt.Sprintf("%s:%d: %s: %s", p.path, line, key, msg))
	} else {
		p.list = append(p.list, fmt.Sprintf("%s: %s: %s", p.path, key, msg))
	}
}

// line finds the line of key, or of its closest defined parent.
func (p *problems) line(key string) int {
	for k := key; k != ""; {
		if l, ok := p.lines[k]; ok {
			return l
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

// keyLines maps every dotted key of the document to the line it is defined
// on. Array-of-table elements are numbered: "supplier.product.0.model".
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	counts := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	prefix := ""
	lineOf := func(n *unstable.Node) int {
		return p.Shape(n.Raw).Start.Line
	}
	keyOf := func(it unstable.Iterator) (string, int) {
		var parts []string
		line := 0
		for it.Next() {
			n := it.Node()
			parts = append(parts, string(n.Data))
			if line == 0 {
				line = lineOf(n)
			}
		}
		return strings.Join(parts, "."), line
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			k, l := keyOf(e.Key())
			prefix = k
			lines[k] = l
		case unstable.ArrayTable:
			k, l := keyOf(e.Key())
			i := counts[k]
			counts[k]++
			prefix = fmt.Sprintf("%s.%d", k, i)
			lines[prefix] = l
			if _, ok := lines[k]; !ok {
				lines[k] = l
			}
		case unstable.KeyValue:
			k, l := keyOf(e.Key())
			full := k
			if prefix != "" {
				full = prefix + "." + k
			}
			lines[full] = l
		}
	}
	return lines
}

func (c *Config) validate(p *problems) {
	c.SMTP.validate(p)
	c.Queue.validate(p)
	c.Delivery.validate(p)
	c.DNS.validate(p)
	c.Auth.validate(p)
	c.Classify.validate(p)
	c.Drafts.validate(p, &c.Supplier)
	c.Metrics.validate(p)
	c.Log.validate(p)
	c.Supplier.validate(p)
	if c.Queue.Dir != "" && filepath.Clean(c.Queue.Dir) == filepath.Clean(c.Drafts.QueueDir) {
		p.add("drafts.queue_dir", "must not be queue.dir (%s): each queue needs a directory of its own", c.Queue.Dir)
	}
}

// Default returns the configuration used for keys the file leaves out.
func Default() *Config {
	return &Config{
		SMTP:     defaultSMTP(),
		Queue:    defaultQueue(),
		Delivery: defaultDelivery(),
		DNS:      DNS{Budget: Duration(5 * time.Second)},
		Auth:     defaultAuth(),
		Classify: defaultClassify(),
		Drafts:   defaultDrafts(),
		Log:      Log{Level: "info"},
	}
}

// Duration is a time.Duration written as a Go duration string ("5m", "120h").
type Duration time.Duration

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (write it like \"30s\", \"5m\", \"120h\"): %q", b)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Size is a byte count written with a unit ("25MB", "512KiB", "1000").
type Size int64

func (s *Size) UnmarshalText(b []byte) error {
	str := strings.TrimSpace(string(b))
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(str, u.suffix) {
			mult = u.mult
			str = strings.TrimSpace(strings.TrimSuffix(str, u.suffix))
			break
		}
	}
	var n int64
	if _, err := fmt.Sscanf(str, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != str {
		return fmt.Errorf("not a size (write it like \"25MB\", \"512KiB\"): %q", b)
	}
	*s = Size(n * mult)
	return nil
}

// resolveDir makes a configured directory absolute against the working
// directory, so that later chdirs cannot move the spool.
func resolveDir(dir string) string {
	if dir == "" {
		return dir
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Metrics is the [metrics] section: a Prometheus text endpoint.
type Metrics struct {
	// Listen is host:port for GET /metrics; empty disables it.
	Listen string `toml:"listen"`
	// Pprof also serves Go's profiler under /debug/pprof/ on that port.
	Pprof bool `toml:"pprof"`
}

func (m *Metrics) validate(p *problems) {
	if m.Listen != "" {
		checkHostPort(p, "metrics.listen", m.Listen)
	}
}

// Log is the [log] section.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `toml:"level"`
	// Format is "text" (default) or "json".
	Format string `toml:"format"`
}

func (l *Log) validate(p *problems) {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level", "must be debug, info, warn or error, not %q", l.Level)
	}
	switch l.Format {
	case "", "text", "json":
	default:
		p.add("log.format", "must be text or json, not %q", l.Format)
	}
}

// DNS is the [dns] section.
type DNS struct {
	// Resolver is host:port of the DNS server to ask; empty means the
	// system's resolver (/etc/resolv.conf).
	Resolver string `toml:"resolver"`
	// Budget is the total DNS time one message may spend.
	Budget Duration `toml:"budget"`
}

func (d *DNS) validate(p *problems) {
	if d.Resolver != "" {
		checkHostPort(p, "dns.resolver", d.Resolver)
	}
	if d.Budget <= 0 {
		p.add("dns.budget", "must be positive")
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
