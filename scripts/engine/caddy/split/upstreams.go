package split

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
)

// Upstreams (`http.reverse_proxy.upstreams.slipway_split`) is reverse_proxy's upstream
// source behind the slipway_split handler: the side the handler chose, or, when it chose
// none (no split file), Fallback — the service's usual `{file.<upstreams>/<service>}`
// dials, so a service without a split is proxied exactly as without this module.
type Upstreams struct {
	// Fallback are the dial addresses (placeholders allowed) used without a split.
	Fallback []string `json:"fallback"`
}

// CaddyModule returns the Caddy module information.
func (Upstreams) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.reverse_proxy.upstreams.slipway_split",
		New: func() caddy.Module { return new(Upstreams) },
	}
}

// GetUpstreams implements reverseproxy.UpstreamSource.
func (u *Upstreams) GetUpstreams(r *http.Request) ([]*reverseproxy.Upstream, error) {
	dials, _ := caddyhttp.GetVar(r.Context(), VarDials).([]string)
	if len(dials) == 0 {
		dials = u.Fallback
	}
	// New values per request: reverse_proxy fills in each one's host state.
	upstreams := make([]*reverseproxy.Upstream, len(dials))
	for i, dial := range dials {
		upstreams[i] = &reverseproxy.Upstream{Dial: dial}
	}
	return upstreams, nil
}

// Interface guards
var (
	_ reverseproxy.UpstreamSource = (*Upstreams)(nil)
)
