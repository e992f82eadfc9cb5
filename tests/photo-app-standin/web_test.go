package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (h *harness) get(path string, cookies []*http.Cookie) (*http.Response, string) {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := noRedirects().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func expectRedirect(t *testing.T, resp *http.Response, location string) {
	t.Helper()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != location {
		t.Fatalf("%s: %d to %q, want 302 to %q", resp.Request.URL.Path, resp.StatusCode, resp.Header.Get("Location"), location)
	}
}

func TestWebClientPages(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)

	resp, _ := h.get("/", nil)
	expectRedirect(t, resp, "/auth/login")
	resp, _ = h.get("/photos", nil)
	expectRedirect(t, resp, "/auth/login")
	resp, _ = h.get("/photos", []*http.Cookie{{Name: cookieAccessToken, Value: "not-a-session"}})
	expectRedirect(t, resp, "/auth/login")

	h.createUser(admin, map[string]any{"email": "lena@example.com", "name": "Lena", "password": "lena-password"})
	login := h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": "lena@example.com", "password": "lena-password"})
	cookies := setCookies(login)
	resp, _ = h.get("/", cookies)
	expectRedirect(t, resp, "/photos")
	resp, body := h.get("/photos", cookies)
	if resp.StatusCode != 200 || !strings.Contains(body, `data-page="photos"`) || !strings.Contains(body, `id="sign-out"`) {
		t.Fatalf("photos page %d: %s", resp.StatusCode, body)
	}

	resp, body = h.get("/auth/login", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("login page %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("login page headers %v", resp.Header)
	}
	for _, page := range []string{"/auth/login", "/photos"} {
		_, html := h.get(page, cookies)
		checkCSPFriendly(t, page, html)
	}

	resp, js := h.get("/_app/standin.js", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("script %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The calls Immich's web app makes, with the payloads it sends.
	for _, want := range []string{
		"api('POST', '/oauth/authorize', { redirectUri: location.origin + '/auth/login' })",
		"api('POST', '/oauth/callback', { url: location.href })",
		"features.oauthAutoLaunch",
		"api('GET', '/users/me')",
		"api('POST', '/auth/logout')",
	} {
		if !strings.Contains(js, want) {
			t.Fatalf("script lacks %q", want)
		}
	}
	if resp, _ := h.get("/_app/standin.css", nil); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet %d", resp.StatusCode)
	}

	// A deleted member's cookie no longer opens the page.
	lena := h.do("GET", "/api/users/me", cred{"Cookie", cookieAccessToken + "=" + cookieNamed(cookies, cookieAccessToken).Value}, nil).json(t)
	expectStatus(t, h.do("DELETE", "/api/admin/users/"+lena["id"].(string), admin, map[string]any{}), 200)
	resp, _ = h.get("/photos", cookies)
	expectRedirect(t, resp, "/auth/login")
}

var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	inlineEvent = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	inputID     = regexp.MustCompile(`<input\b[^>]*\bid="([^"]+)"`)
)

// checkCSPFriendly: no inline script, style attribute or event handler, and a label for every input.
func checkCSPFriendly(t *testing.T, page, html string) {
	t.Helper()
	for _, m := range scriptTag.FindAllStringSubmatch(html, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Fatalf("%s has an inline script: %s", page, m[0])
		}
	}
	if strings.Contains(html, "style=") || strings.Contains(html, "<style") || inlineEvent.MatchString(html) {
		t.Fatalf("%s has inline style or event handlers", page)
	}
	for _, m := range inputID.FindAllStringSubmatch(html, -1) {
		if !strings.Contains(html, `<label for="`+m[1]+`"`) {
			t.Fatalf("%s: input %s has no label", page, m[1])
		}
	}
}

// The edge socket: every request to the provider goes through it, with the
// URL and Host header unchanged, and the host is never resolved.
func TestEdgeSocketCarriesEveryOutgoingRequest(t *testing.T) {
	dir, err := os.MkdirTemp("", "edge")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	// The transport alone.
	sock := filepath.Join(dir, "probe.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 1)
	probe := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Host + " " + r.URL.RequestURI()
		_, _ = io.WriteString(w, "through the edge")
	})}
	go probe.Serve(ln)
	t.Cleanup(func() { probe.Close() })
	resp, err := (&http.Client{Transport: newOutboundTransport(sock)}).Get("http://acme.photos.invalid:8080/photoplane/jwks?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := <-seen; got != "acme.photos.invalid:8080 /photoplane/jwks?x=1" || string(body) != "through the edge" {
		t.Fatalf("edge saw %q, answered %q", got, body)
	}

	// A whole sign-in with a provider that is reachable only through the socket.
	edge := filepath.Join(dir, "edge.sock")
	origin := "http://acme.photos.invalid:8080"
	p := newSocketProvider(t, edge, origin)
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := NewServerWith(store, io.Discard, Options{EdgeSocket: edge})
	srv := newTestServer(t, root)
	h := &harness{t: t, dir: store.mediaRoot, srv: srv, root: root}
	token, _ := h.signUpAdmin()
	h.enableOAuth(bearer(token), p, nil)
	p.signAs(member("member-mia", "mia@example.com", "Mia", map[string]any{"immich_quota": 3}))
	browser := &http.Client{Transport: newOutboundTransport(edge)} // the test's browser also finds the edge by the socket
	round := h.goToProvider(srv.URL+"/auth/login", browser)
	r := h.doWith("POST", "/api/oauth/callback", anonymous, map[string]any{"url": round.callbackURL}, round.cookies)
	expectStatus(t, r, 201)
	if r.json(t)["userEmail"] != "mia@example.com" || len(p.calls()) != 1 {
		t.Fatalf("sign-in through the edge socket: %s", r.raw)
	}
}

func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
