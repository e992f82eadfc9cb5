// Package ratelimit is Photoplane's edge rate limit: a Caddy HTTP handler, http.handlers.photoplane_rate_limit,
// that refuses a client address over its zone's limit before the request reaches the portal (issue 13). The
// portal keeps its own per-process limits as the second line; this one is counted once, in the one edge process in
// front of every portal process.
//
//	{
//	  "handler": "photoplane_rate_limit",
//	  "zone": "public",      // buckets are shared by every handler naming the same zone with the same limits
//	  "events": 30,          // refill: `events` per `window`
//	  "window": "1m",
//	  "burst": 10,           // bucket size; default `events`
//	  "max_keys": 100000,    // addresses remembered at most; default 100,000
//	  "ipv6_prefix": 64,     // IPv6 clients are counted per prefix of this length; default 64
//	  "key": "client_ip"     // or "all": one bucket for every client, a cap on the total the upstream gets
//	}
//
// Clients are told apart by Caddy's client_ip, which honours the server's trusted_proxies and client_ip_headers.
// A refusal answers 429 with Retry-After, as application/problem+json (or a short HTML page to a browser that asks
// for one: the members' sign-in pages are plain forms) and counts in photoplane_edge_rate_limited_total{zone}.
// Buckets live as long as some loaded config names their zone: Caddy reloads its whole config on every admin API
// change (the provisioner adds routes all the time), and a reload must not hand every address a fresh bucket.
package ratelimit

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
)

func init() {
	caddy.RegisterModule(RateLimit{})
}

const (
	defaultMaxKeys    = 100_000
	defaultIPv6Prefix = 64
	keyClientIP       = "client_ip"
	keyAll            = "all"
)

// zones outlive a config: keyed by zone name and limits, released when no loaded handler uses them.
var zones = caddy.NewUsagePool()

// refused counts refusals by zone for as long as the process runs; registered in each config's metrics registry
// (Caddy's admin /metrics).
var refused = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: "photoplane",
	Subsystem: "edge",
	Name:      "rate_limited_total",
	Help:      "Requests the edge refused with 429 because their client address was over its zone's limit.",
}, []string{"zone"})

// RateLimit is the handler's config and state.
type RateLimit struct {
	Zone       string         `json:"zone"`
	Events     int            `json:"events"`
	Window     caddy.Duration `json:"window"`
	Burst      int            `json:"burst,omitempty"`
	MaxKeys    int            `json:"max_keys,omitempty"`
	IPv6Prefix int            `json:"ipv6_prefix,omitempty"`
	Key        string         `json:"key,omitempty"`

	poolKey string
	buckets *buckets
	refused prometheus.Counter
	now     func() time.Time
}

// CaddyModule returns the Caddy module information.
func (RateLimit) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.photoplane_rate_limit",
		New: func() caddy.Module { return new(RateLimit) },
	}
}

type zone struct{ *buckets }

// Destruct is called when the last config using the zone is unloaded.
func (zone) Destruct() error { return nil }

// Provision validates the config and joins (or creates) the zone's buckets.
func (rl *RateLimit) Provision(ctx caddy.Context) error {
	if err := rl.validate(); err != nil {
		return err
	}
	if rl.Burst == 0 {
		rl.Burst = rl.Events
	}
	if rl.MaxKeys == 0 {
		rl.MaxKeys = defaultMaxKeys
	}
	if rl.IPv6Prefix == 0 {
		rl.IPv6Prefix = defaultIPv6Prefix
	}
	if rl.Key == "" {
		rl.Key = keyClientIP
	}
	rate := float64(rl.Events) / time.Duration(rl.Window).Seconds()
	rl.poolKey = fmt.Sprintf("%s|%s|%d/%s|%d|%d", rl.Zone, rl.Key, rl.Events, time.Duration(rl.Window), rl.Burst, rl.MaxKeys)
	z, _, err := zones.LoadOrNew(rl.poolKey, func() (caddy.Destructor, error) {
		return zone{newBuckets(rate, float64(rl.Burst), rl.MaxKeys)}, nil
	})
	if err != nil {
		return err
	}
	rl.buckets = z.(zone).buckets
	if err := ctx.GetMetricsRegistry().Register(refused); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return err
		}
	}
	rl.refused = refused.WithLabelValues(rl.Zone)
	rl.now = time.Now
	return nil
}

func (rl *RateLimit) validate() error {
	switch {
	case rl.Zone == "":
		return errors.New("photoplane_rate_limit: zone is required")
	case rl.Events <= 0:
		return fmt.Errorf("photoplane_rate_limit %s: events must be a positive number, got %d", rl.Zone, rl.Events)
	case rl.Window <= 0:
		return fmt.Errorf("photoplane_rate_limit %s: window must be a positive duration", rl.Zone)
	case rl.Burst < 0:
		return fmt.Errorf("photoplane_rate_limit %s: burst must not be negative, got %d", rl.Zone, rl.Burst)
	case rl.MaxKeys < 0:
		return fmt.Errorf("photoplane_rate_limit %s: max_keys must not be negative, got %d", rl.Zone, rl.MaxKeys)
	case rl.IPv6Prefix < 0 || rl.IPv6Prefix > 128:
		return fmt.Errorf("photoplane_rate_limit %s: ipv6_prefix must be 0-128, got %d", rl.Zone, rl.IPv6Prefix)
	case rl.Key != "" && rl.Key != keyClientIP && rl.Key != keyAll:
		return fmt.Errorf("photoplane_rate_limit %s: key must be %q or %q, got %q", rl.Zone, keyClientIP, keyAll, rl.Key)
	}
	return nil
}

// Cleanup leaves the zone; its buckets go when no loaded config uses it any more.
func (rl *RateLimit) Cleanup() error {
	if rl.poolKey == "" {
		return nil
	}
	_, err := zones.Delete(rl.poolKey)
	return err
}

func (rl *RateLimit) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	ok, wait := rl.buckets.take(rl.clientKey(r), rl.now())
	if ok {
		return next.ServeHTTP(w, r)
	}
	rl.refused.Inc()
	seconds := int(math.Ceil(wait.Seconds()))
	if seconds < 1 {
		seconds = 1
	}
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(seconds))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	detail := fmt.Sprintf("Too many requests from this address; try again in %d seconds.", seconds)
	if rl.Key == keyAll {
		detail = fmt.Sprintf("Too many requests right now; try again in %d seconds.", seconds)
	}
	if wantsHTML(r) {
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		w.WriteHeader(http.StatusTooManyRequests)
		_, err := fmt.Fprintf(w, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too many requests</title></head>\n<body><main><h1>Too many requests</h1><p>%s</p></main></body></html>\n", html.EscapeString(detail))
		return err
	}
	body, err := json.Marshal(map[string]any{
		"type":   "about:blank",
		"title":  "Too Many Requests",
		"status": http.StatusTooManyRequests,
		"detail": detail,
	})
	if err != nil {
		return err
	}
	h.Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusTooManyRequests)
	_, err = w.Write(body)
	return err
}

// clientKey is Caddy's client_ip (the peer, or what a trusted proxy said), an IPv6 address cut to its prefix.
func (rl *RateLimit) clientKey(r *http.Request) string {
	if rl.Key == keyAll {
		return ""
	}
	addr, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	if addr == "" {
		addr = r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr // a unix socket peer, say: all of them share one bucket
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() && rl.IPv6Prefix < 128 {
		if p, err := ip.Prefix(rl.IPv6Prefix); err == nil {
			return p.String()
		}
	}
	return ip.String()
}

// wantsHTML: a browser's form post (Accept names text/html before any JSON type).
func wantsHTML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	h := strings.Index(accept, "text/html")
	if h < 0 {
		return false
	}
	j := strings.Index(accept, "json")
	return j < 0 || h < j
}

// Interface guards
var (
	_ caddy.Provisioner           = (*RateLimit)(nil)
	_ caddy.CleanerUpper          = (*RateLimit)(nil)
	_ caddyhttp.MiddlewareHandler = (*RateLimit)(nil)
)
