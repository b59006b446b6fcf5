package split

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(Handler{})
	caddy.RegisterModule(Upstreams{})
}

// VarDials is the request variable naming the chosen side's dial addresses ([]string),
// read by the `slipway_split` upstream source.
const VarDials = "slipway_split.dials"

// VarUpstream is the request variable naming the chosen side ({http.vars.slipway_split.upstream}).
const VarUpstream = "slipway_split.upstream"

// Handler (`http.handlers.slipway_split`) goes before reverse_proxy in a service's routes:
// per request it reads the service's split file; with one, it chooses a side by weight,
// sets VarDials for reverse_proxy's `slipway_split` upstream source and counts the answer.
// Without one it passes the request on untouched.
type Handler struct {
	// Service is the service's name (for the stats and the cookie name).
	Service string `json:"service"`
	// SplitFile is the split file's path, e.g. /etc/slipway/split/web.
	SplitFile string `json:"split_file"`
	// StatsFile is where the counters are written (atomically, at most every second when
	// they changed); empty: not written.
	StatsFile string `json:"stats_file,omitempty"`
	// Sticky keeps a client on one side: a cookie holds its bucket, so it stays on its side
	// while the weights stay, and moves only from the last line's side to the first's as
	// the first line's weight grows.
	Sticky bool `json:"sticky,omitempty"`
	// Cookie is the sticky cookie's name; default `slipway_split_<service>`.
	Cookie string `json:"cookie,omitempty"`

	state  *state
	logger *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.slipway_split",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision shares the service's file and counters with the previous config's handler, so
// a config reload neither resets the counters nor re-reads an unchanged split file.
func (h *Handler) Provision(ctx caddy.Context) error {
	return h.provision(ctx.Logger())
}

func (h *Handler) provision(logger *zap.Logger) error {
	if h.Service == "" || h.SplitFile == "" {
		return fmt.Errorf("slipway_split needs service and split_file")
	}
	if h.Cookie == "" {
		h.Cookie = "slipway_split_" + h.Service
	}
	h.logger = logger
	value, _, err := states.LoadOrNew(h.SplitFile+"\x00"+h.StatsFile, func() (caddy.Destructor, error) {
		return newState(h.Service, h.SplitFile, h.StatsFile, logger), nil
	})
	if err != nil {
		return err
	}
	h.state = value.(*state)
	return nil
}

// Cleanup lets the shared state go when no config uses it any more.
func (h *Handler) Cleanup() error {
	_, err := states.Delete(h.SplitFile + "\x00" + h.StatsFile)
	return err
}

// bucket is the client's bucket: from its sticky cookie, or drawn at random.
func (h *Handler) bucket(r *http.Request) (int, bool) {
	if h.Sticky {
		if cookie, err := r.Cookie(h.Cookie); err == nil {
			if n, err := strconv.Atoi(cookie.Value); err == nil && n >= 0 && n < Buckets {
				return n, true
			}
		}
	}
	return rand.IntN(Buckets), false
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	table := h.state.file.Current()
	if table == nil {
		return next.ServeHTTP(w, r)
	}
	bucket, fromCookie := h.bucket(r)
	side := table.Pick(bucket)
	if h.Sticky && !fromCookie {
		http.SetCookie(w, &http.Cookie{
			Name:     h.Cookie,
			Value:    strconv.Itoa(bucket),
			Path:     "/",
			HttpOnly: true,
			SameSite: http.SameSiteLaxMode,
		})
	}
	caddyhttp.SetVar(r.Context(), VarDials, side.Dials)
	caddyhttp.SetVar(r.Context(), VarUpstream, side.Upstream)
	recorder := &statusRecorder{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
	start := time.Now()
	err := next.ServeHTTP(recorder, r)
	status := recorder.status
	if err != nil {
		// Not written yet: Caddy's error handling answers with the error's status.
		status = http.StatusInternalServerError
		var handlerErr caddyhttp.HandlerError
		if errors.As(err, &handlerErr) && handlerErr.StatusCode != 0 {
			status = handlerErr.StatusCode
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	h.state.stats.Record(side.Upstream, status, time.Since(start))
	return err
}

// statusRecorder notes the final status written (1xx informational answers are not final).
type statusRecorder struct {
	*caddyhttp.ResponseWriterWrapper
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	if s.status == 0 && status >= 200 {
		s.status = status
	}
	s.ResponseWriterWrapper.WriteHeader(status)
}

func (s *statusRecorder) Write(data []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriterWrapper.Write(data)
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
