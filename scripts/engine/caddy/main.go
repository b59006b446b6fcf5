// The Caddy binary of Slipway's edge image: the standard distribution (the same
// modules as `caddy` from caddyserver/caddy/v2/cmd/caddy), no plugins.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func main() {
	caddycmd.Main()
}
