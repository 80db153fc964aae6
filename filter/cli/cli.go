// Package cli is tradesift's command line: serve, check-config, classify,
// draft and templates check. Each subcommand parses its flags, loads the
// configuration and calls into the packages that do the work.
package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tradesift/tradesift/filter/config"
)

const usage = `usage: tradesift COMMAND [flags]

commands:
  serve -config FILE                 run the relay daemon
  check-config -config FILE          check a configuration file
  classify -config FILE [-json] [-dns ADDR] MSG.eml ...
                                     judge messages offline ("-" reads stdin)
  draft -config FILE MSG.eml         print the draft that would be queued
  templates check -config FILE       render every reply template against sample data
`

// Main runs the command line and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stderr)
	case "check-config":
		return checkConfig(rest, stdout, stderr)
	case "classify":
		return classify(rest, stdin, stdout, stderr)
	case "draft":
		return draftCmd(rest, stdin, stdout, stderr)
	case "templates":
		if len(rest) == 0 || rest[0] != "check" {
			fmt.Fprint(stderr, "usage: tradesift templates check -config FILE\n")
			return 2
		}
		return templatesCheck(rest[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "tradesift: unknown command %q\n%s", cmd, usage)
		return 2
	}
}

// flags is the flag set every subcommand shares.
type flags struct {
	*flag.FlagSet
	config *string
}

func newFlags(name string, stderr io.Writer) flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return flags{FlagSet: fs, config: fs.String("config", "", "configuration file (TOML)")}
}

// load parses args and loads the configuration, reporting problems.
func (f flags) load(args []string, stderr io.Writer) (*config.Config, bool) {
	if err := f.Parse(args); err != nil {
		return nil, false
	}
	if *f.config == "" {
		fmt.Fprintf(stderr, "tradesift %s: -config FILE is required\n", f.Name())
		return nil, false
	}
	c, err := config.Load(*f.config)
	if err != nil {
		fmt.Fprintln(stderr, strings.TrimRight(err.Error(), "\n"))
		return nil, false
	}
	return c, true
}

func checkConfig(args []string, stdout, stderr io.Writer) int {
	f := newFlags("check-config", stderr)
	c, ok := f.load(args, stderr)
	if !ok {
		return 1
	}
	// A config whose pieces cannot be built (rules file, templates) is not
	// good either: build them as serve would, without listening.
	if _, err := newPipeline(c); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", c.Path, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK\n", c.Path)
	return 0
}
