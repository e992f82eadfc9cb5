// The edge's Caddy: Caddy v2.11.9 with its standard modules and Photoplane's own (the per-address rate limit in
// ../../ratelimit). Built by infra/src/go-tools.ts into the tools cache, the way xcaddy would assemble it.
package main

import (
	_ "time/tzdata"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "photoplane.local/caddy/ratelimit"
)

func main() {
	caddycmd.Main()
}
