package cli

import (
	"fmt"
	"io"

	"github.com/tradesift/tradesift/filter/server"
)

func serve(args []string, stderr io.Writer) int {
	f := newFlags("serve", stderr)
	if err := f.Parse(args); err != nil {
		return 2
	}
	if *f.config == "" {
		fmt.Fprintln(stderr, "tradesift serve: -config FILE is required")
		return 2
	}
	if err := server.Run(*f.config, stderr); err != nil {
		fmt.Fprintf(stderr, "tradesift serve: %v\n", err)
		return 1
	}
	return 0
}
