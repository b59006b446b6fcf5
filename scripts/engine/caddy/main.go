// The Caddy binary of Slipway's edge image: the standard distribution (the same
// modules as `caddy` from caddyserver/caddy/v2/cmd/caddy) and Slipway's own traffic
// split module (./split: weighted canary routing read from a file, per-side counters).
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "slipway.local/engine/caddy/split"
)

func main() {
	caddycmd.Main()
}
