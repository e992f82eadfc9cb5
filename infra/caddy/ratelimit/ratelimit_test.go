package ratelimit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// provision makes a handler as Caddy would for one loaded config; cleanup unloads it.
func provision(t *testing.T, rl RateLimit) *RateLimit {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	if err := rl.Provision(ctx); err != nil {
		t.Fatalf("provision: %v", err)
	}
	return &rl
}

type result struct {
	status int
	header http.Header
	body   string
	passed bool
}

// send runs one request from clientIP (as Caddy's client_ip) through the handler.
func send(t *testing.T, rl *RateLimit, clientIP string, accept string) result {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/auth/login", strings.NewReader("{}"))
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{
		caddyhttp.ClientIPVarKey: clientIP,
	}))
	w := httptest.NewRecorder()
	passed := false
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		passed = true
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	if err := rl.ServeHTTP(w, r, next); err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	return result{w.Code, w.Header(), w.Body.String(), passed}
}

func TestOverTheLimitAnswers429ProblemJSONWithRetryAfterAndNeverCallsNext(t *testing.T) {
	rl := provision(t, RateLimit{Zone: "test-429", Events: 2, Window: caddy.Duration(time.Minute)})
	before := testutil.ToFloat64(refused.WithLabelValues("test-429"))
	for i := 0; i < 2; i++ {
		if res := send(t, rl, "198.51.100.7", ""); !res.passed || res.status != 204 {
			t.Fatalf("request %d within the limit: %+v", i+1, res)
		}
	}
	res := send(t, rl, "198.51.100.7", "application/json")
	if res.passed || res.status != http.StatusTooManyRequests {
		t.Fatalf("third request: passed=%v status=%d, want refused with 429", res.passed, res.status)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	// Two a minute: the next token is 30 s away.
	if ra := res.header.Get("Retry-After"); ra != "30" {
		t.Fatalf("Retry-After %q, want 30", ra)
	}
	var problem struct {
		Type, Title, Detail string
		Status              int
	}
	if err := json.Unmarshal([]byte(res.body), &problem); err != nil {
		t.Fatalf("body %q: %v", res.body, err)
	}
	if problem.Status != 429 || problem.Title != "Too Many Requests" || !strings.Contains(problem.Detail, "30 seconds") {
		t.Fatalf("problem %+v", problem)
	}
	if got := testutil.ToFloat64(refused.WithLabelValues("test-429")) - before; got != 1 {
		t.Fatalf("refusals counted: %v, want 1", got)
	}
	// Another address is not affected.
	if res := send(t, rl, "198.51.100.8", ""); !res.passed {
		t.Fatalf("another address refused: %+v", res)
	}
}

func TestABrowserGetsAPage(t *testing.T) {
	rl := provision(t, RateLimit{Zone: "test-html", Events: 1, Window: caddy.Duration(time.Minute)})
	send(t, rl, "198.51.100.9", "")
	res := send(t, rl, "198.51.100.9", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if res.status != 429 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(res.body, "try again in 60 seconds") || res.header.Get("Retry-After") != "60" {
		t.Fatalf("browser refusal: %+v", res)
	}
}

func TestIPv6IsCountedPerPrefix(t *testing.T) {
	rl := provision(t, RateLimit{Zone: "test-v6", Events: 1, Window: caddy.Duration(time.Minute)})
	send(t, rl, "2001:db8:1:2::1", "")
	// The same /64: the same client, whatever the interface id.
	if res := send(t, rl, "2001:db8:1:2:ffff::9", ""); res.passed {
		t.Fatal("another address of the same /64 got a bucket of its own")
	}
	if res := send(t, rl, "2001:db8:1:3::1", ""); !res.passed {
		t.Fatal("another /64 refused")
	}
	// An IPv4 client seen through an IPv6 socket is the IPv4 address.
	send(t, rl, "::ffff:192.0.2.1", "")
	if res := send(t, rl, "192.0.2.1", ""); res.passed {
		t.Fatal("::ffff:192.0.2.1 and 192.0.2.1 counted apart")
	}
}

func TestBucketsSurviveAConfigReload(t *testing.T) {
	cfg := RateLimit{Zone: "test-reload", Events: 1, Window: caddy.Duration(time.Hour)}
	old := provision(t, cfg)
	send(t, old, "198.51.100.10", "")
	// Caddy provisions the new config before it cleans up the old one.
	reloaded := provision(t, cfg)
	if err := old.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if res := send(t, reloaded, "198.51.100.10", ""); res.passed {
		t.Fatal("a reload handed the address a fresh bucket")
	}
	// A second handler naming the zone shares its buckets (e.g. the portal's host and the instance hosts' prefix).
	other := provision(t, cfg)
	if res := send(t, other, "198.51.100.10", ""); res.passed {
		t.Fatal("two handlers of one zone count apart")
	}
	// Different limits are a different zone.
	changed := provision(t, RateLimit{Zone: "test-reload", Events: 5, Window: caddy.Duration(time.Hour)})
	if res := send(t, changed, "198.51.100.10", ""); !res.passed {
		t.Fatal("new limits kept the old bucket")
	}
}

func TestKeyAllCapsEveryClientTogether(t *testing.T) {
	rl := provision(t, RateLimit{Zone: "test-all", Key: "all", Events: 2, Window: caddy.Duration(time.Minute)})
	send(t, rl, "198.51.100.20", "")
	send(t, rl, "198.51.100.21", "")
	res := send(t, rl, "198.51.100.22", "")
	if res.passed || res.status != 429 || !strings.Contains(res.body, "Too many requests right now") {
		t.Fatalf("a third address past a total of two: %+v", res)
	}
}

func TestInvalidConfigIsRefusedNamingTheField(t *testing.T) {
	cases := map[string]RateLimit{
		"zone is required":    {Events: 1, Window: caddy.Duration(time.Minute)},
		"events must be":      {Zone: "z", Window: caddy.Duration(time.Minute)},
		"window must be":      {Zone: "z", Events: 1},
		"burst must not":      {Zone: "z", Events: 1, Window: caddy.Duration(time.Minute), Burst: -1},
		"max_keys must not":   {Zone: "z", Events: 1, Window: caddy.Duration(time.Minute), MaxKeys: -1},
		"ipv6_prefix must be": {Zone: "z", Events: 1, Window: caddy.Duration(time.Minute), IPv6Prefix: 129},
	}
	for want, cfg := range cases {
		ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
		err := cfg.Provision(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: error %v, want %q", cfg, err, want)
		}
	}
}
