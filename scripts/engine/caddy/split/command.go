package split

import (
	"os"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"slipway.local/engine/caddy/canary"
)

// The canary's judgement as a subcommand of the edge's Caddy, so it runs where the counters
// are, with nothing else installed there: the host's deploy script runs
// `docker exec -i <caddy> caddy slipway-split-judge --start - --end /run/caddy/split/<service>.json …`
// after each step. Exit 0: passed, 1: failed (the verdict on stdout either way), 2: cannot judge.
func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "slipway-split-judge",
		Usage: canary.Usage,
		Short: "Judges a canary step from two snapshots of Slipway's split counters",
		Long: `
Judges the new release's side of a canary step from the slipway_split counters at the
step's start and end: fewer than --min-requests requests, more than --max-error-rate % of
5xx answers, or (with --max-p95-ms) a slower 95th percentile fail the step. Prints the
verdict (e.g. "canary 10%: 23 of 112 requests failed (20.5% > 1%)") and exits 0 when the
step passed, 1 when it failed, 2 when it cannot judge.`,
		CobraFunc: func(cmd *cobra.Command) {
			// The flags are canary.Main's own (the standard library's flag package).
			cmd.DisableFlagParsing = true
			cmd.RunE = func(_ *cobra.Command, args []string) error {
				os.Exit(canary.Main(args, os.Stdin, os.Stdout, os.Stderr))
				return nil
			}
		},
	})
}
