package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// --- OAuth harness: the browser's part of the round trip ---

// contractOAuth is the oauth section Photoplane's provisioner sets (issue 10).
// allowInsecureRequests is true because the test provider speaks http.
func contractOAuth(p *testProvider, origin string) map[string]any {
	return map[string]any{
		"enabled": true, "issuerUrl": p.issuer, "clientId": p.clientID, "clientSecret": p.clientSecret,
		"scope": "openid email profile", "signingAlgorithm": "RS256", "profileSigningAlgorithm": "none",
		"tokenEndpointAuthMethod": "client_secret_post", "storageQuotaClaim": "immich_quota",
		"storageLabelClaim": "immich_storage_label", "roleClaim": "immich_role", "autoRegister": true,
		"autoLaunch": true, "buttonText": "Sign in with Photoplane", "mobileOverrideEnabled": false,
		"mobileRedirectUri": "", "defaultStorageQuota": float64(0), "timeout": float64(30000),
		"allowInsecureRequests": true, "prompt": "", "endSessionEndpoint": "",
		"accountManagementUrl": origin + "/photoplane/account",
	}
}

func (h *harness) enableOAuth(admin cred, p *testProvider, overrides map[string]any) {
	h.t.Helper()
	o := contractOAuth(p, h.srv.URL)
	for k, v := range overrides {
		o[k] = v
	}
	expectStatus(h.t, h.do("PUT", "/api/system-config", admin, map[string]any{"oauth": o}), 200)
}

// doWith is do with cookies.
func (h *harness) doWith(method, path string, c cred, body any, cookies []*http.Cookie) response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.header != "" {
		req.Header.Set(c.header, c.value)
	}
	for _, ck := range cookies {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	return h.send(req)
}

func setCookies(r response) []*http.Cookie { return (&http.Response{Header: r.header}).Cookies() }

func cookieNamed(cookies []*http.Cookie, name string) *http.Cookie {
	for _, c := range cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// oauthRound is one trip to the provider: the URL the browser comes back to
// and the cookies /api/oauth/authorize set.
type oauthRound struct {
	authorizeURL *url.URL
	callbackURL  string
	cookies      []*http.Cookie
}

// goToProvider asks the stand-in where to sign in, then lets the provider
// sign the chosen member in and send the browser back (not followed).
func (h *harness) goToProvider(redirectURI string, client *http.Client) oauthRound {
	h.t.Helper()
	r := h.do("POST", "/api/oauth/authorize", anonymous, map[string]any{"redirectUri": redirectURI})
	expectStatus(h.t, r, 201)
	authURL, err := url.Parse(r.json(h.t)["url"].(string))
	if err != nil {
		h.t.Fatal(err)
	}
	if client == nil {
		client = http.DefaultClient
	}
	noFollow := *client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Get(authURL.String())
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("provider answered %d to the authorization request", resp.StatusCode)
	}
	return oauthRound{authorizeURL: authURL, callbackURL: resp.Header.Get("Location"), cookies: setCookies(r)}
}

// oauthLogin is a whole web sign-in: authorize, provider, callback with the cookies.
func (h *harness) oauthLogin(p *testProvider, m providerMember) response {
	h.t.Helper()
	p.signAs(m)
	round := h.goToProvider(h.srv.URL+"/auth/login", nil)
	return h.doWith("POST", "/api/oauth/callback", anonymous, map[string]any{"url": round.callbackURL}, round.cookies)
}

func member(sub, email, name string, extra map[string]any) providerMember {
	claims := map[string]any{"email": email, "email_verified": true, "name": name}
	for k, v := range extra {
		claims[k] = v
	}
	return providerMember{sub: sub, claims: claims}
}

func (h *harness) userCount() int {
	n := 0
	_ = h.root.store.view(func(st *State) error { n = len(st.Users); return nil })
	return n
}

func (h *harness) sessionCount() int {
	n := 0
	_ = h.root.store.view(func(st *State) error { n = len(st.Sessions); return nil })
	return n
}

// --- tests ---

func TestOAuthCodeFlowRegistersMemberWithClaims(t *testing.T) {
	h := newHarness(t)
	p := newTestProvider(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	h.enableOAuth(admin, p, nil)

	alice := member("member-alice", "Alice@Example.com", "Alice Liddell", map[string]any{
		"immich_quota": 2.5, "immich_storage_label": "alice", "immich_role": "user",
	})
	p.signAs(alice)
	round := h.goToProvider(h.srv.URL+"/auth/login", nil)

	// The authorization request Immich would make.
	q := round.authorizeURL.Query()
	if round.authorizeURL.Path != "/photoplane/auth" || q.Get("client_id") != p.clientID || q.Get("response_type") != "code" ||
		q.Get("redirect_uri") != h.srv.URL+"/auth/login" || q.Get("scope") != "openid email profile" ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" || q.Has("prompt") {
		t.Fatalf("authorization URL %s", round.authorizeURL)
	}
	state, verifier := cookieNamed(round.cookies, cookieOAuthState), cookieNamed(round.cookies, cookieOAuthVerifier)
	if state == nil || state.Value != q.Get("state") || !state.HttpOnly || verifier == nil || !verifier.HttpOnly {
		t.Fatalf("state/verifier cookies: %v", round.cookies)
	}

	r := h.doWith("POST", "/api/oauth/callback", anonymous, map[string]any{"url": round.callbackURL}, round.cookies)
	expectStatus(t, r, 201)
	login := r.json(t)
	if login["userEmail"] != "alice@example.com" || login["name"] != "Alice Liddell" || login["isAdmin"] != false ||
		login["shouldChangePassword"] != false || login["accessToken"] == "" {
		t.Fatalf("login response %s", r.raw)
	}
	got := setCookies(r)
	if c := cookieNamed(got, cookieAccessToken); c == nil || c.Value != login["accessToken"] {
		t.Fatalf("no access token cookie: %v", got)
	}
	if c := cookieNamed(got, cookieAuthType); c == nil || c.Value != "oauth" {
		t.Fatalf("auth type cookie: %v", got)
	}
	for _, name := range []string{cookieOAuthState, cookieOAuthVerifier} {
		if c := cookieNamed(got, name); c == nil || c.MaxAge >= 0 {
			t.Fatalf("%s not cleared: %v", name, got)
		}
	}

	// The token request: client_secret_post with the PKCE verifier.
	calls := p.calls()
	last := calls[len(calls)-1].form
	if last.Get("client_secret") != p.clientSecret || calls[len(calls)-1].authorization != "" ||
		last.Get("code_verifier") != verifier.Value || last.Get("redirect_uri") != h.srv.URL+"/auth/login" {
		t.Fatalf("token request %v", calls[len(calls)-1])
	}

	me := h.do("GET", "/api/users/me", bearer(login["accessToken"].(string)), nil).json(t)
	if me["quotaSizeInBytes"] != float64(2.5*gib) || me["storageLabel"] != "alice" || me["oauthId"] != "member-alice" || me["isAdmin"] != false {
		t.Fatalf("registered user %v", me)
	}
	var sid string
	_ = h.root.store.view(func(st *State) error {
		sid = st.Sessions[len(st.Sessions)-1].OAuthSid
		return nil
	})
	if !strings.HasPrefix(sid, "sid-") {
		t.Fatalf("session does not remember the ID token's sid: %q", sid)
	}

	// Signing in again finds the same user by sub; claims are not re-applied (as in Immich).
	alice.claims["immich_quota"] = 9.0
	users := h.userCount()
	again := h.oauthLogin(p, alice)
	expectStatus(t, again, 201)
	if again.json(t)["userId"] != login["userId"] || h.userCount() != users {
		t.Fatalf("second sign-in made another user: %s", again.raw)
	}

	// An admin role claim makes an admin; a fractional quota is kept to the byte.
	r = h.oauthLogin(p, member("member-bob", "bob@example.com", "Bob", map[string]any{"immich_quota": 0.1, "immich_role": "admin"}))
	expectStatus(t, r, 201)
	bob := h.do("GET", "/api/users/me", bearer(r.json(t)["accessToken"].(string)), nil).json(t)
	if bob["isAdmin"] != true || bob["quotaSizeInBytes"] != float64(107374182) || bob["storageLabel"] != nil {
		t.Fatalf("admin member %v", bob)
	}

	// A provider that keeps the profile out of the ID token (oidc-provider's
	// conformIdTokenClaims): e-mail and Immich's claims come from userinfo,
	// the sid still from the ID token.
	p.mu.Lock()
	p.bareIDToken = true
	p.mu.Unlock()
	r = h.oauthLogin(p, member("member-olga", "olga@example.com", "Olga", map[string]any{"immich_quota": 4, "immich_storage_label": "olga"}))
	expectStatus(t, r, 201)
	olgaToken := r.json(t)["accessToken"].(string)
	olga := h.do("GET", "/api/users/me", bearer(olgaToken), nil).json(t)
	if olga["email"] != "olga@example.com" || olga["quotaSizeInBytes"] != float64(4*gib) || olga["storageLabel"] != "olga" {
		t.Fatalf("member from userinfo %v", olga)
	}
	_ = h.root.store.view(func(st *State) error {
		if s := st.sessionByTokenHash(sha256Hex(olgaToken)); s == nil || !strings.HasPrefix(s.OAuthSid, "sid-") {
			t.Errorf("session from a bare ID token has no sid: %+v", s)
		}
		return nil
	})
	p.mu.Lock()
	p.bareIDToken = false
	p.mu.Unlock()

	// No quota claim: defaultStorageQuota 0 gives a zero quota, never unlimited.
	r = h.oauthLogin(p, member("member-carol", "carol@example.com", "Carol", nil))
	expectStatus(t, r, 201)
	carol := h.do("GET", "/api/users/me", bearer(r.json(t)["accessToken"].(string)), nil).json(t)
	if carol["quotaSizeInBytes"] != float64(0) {
		t.Fatalf("member without a quota claim: %v", carol)
	}
}

func TestOAuthLinksExistingUserByEmail(t *testing.T) {
	h := newHarness(t)
	p := newTestProvider(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	created := h.createUser(admin, map[string]any{"email": "dana@example.com", "name": "Dana", "password": "dana-password"})
	h.enableOAuth(admin, p, map[string]any{"autoRegister": false})

	r := h.oauthLogin(p, member("member-dana", "DANA@example.com", "Dana From Provider", map[string]any{"immich_quota": 5}))
	expectStatus(t, r, 201)
	if r.json(t)["userId"] != created["id"] {
		t.Fatalf("not linked to the existing user: %s", r.raw)
	}
	linked := h.userAdmin(admin, created["id"].(string))
	if linked["oauthId"] != "member-dana" || linked["quotaSizeInBytes"] != nil || linked["name"] != "Dana" {
		t.Fatalf("linked user %v", linked)
	}

	// Another sub with the same e-mail is refused, and so is a stranger without auto-register.
	expectError(t, h.oauthLogin(p, member("someone-else", "dana@example.com", "X", nil)), 400, "OAuth authentication failed")
	expectError(t, h.oauthLogin(p, member("stranger", "stranger@example.com", "S", nil)), 400, "OAuth authentication failed")

	// A profile without an e-mail (neither in the ID token nor at userinfo).
	h.enableOAuth(admin, p, map[string]any{"autoRegister": true})
	expectError(t, h.oauthLogin(p, providerMember{sub: "no-email", claims: map[string]any{"name": "N"}}), 400,
		"OAuth profile does not have an email address")

	// A deleted user keeps the e-mail: the sign-in fails as Immich's does (its insert hits the unique e-mail).
	expectStatus(t, h.do("DELETE", "/api/admin/users/"+created["id"].(string), admin, map[string]any{}), 200)
	users := h.userCount()
	expectError(t, h.oauthLogin(p, member("member-dana", "dana@example.com", "Dana", nil)), 500, "Failed to finish oauth")
	if h.userCount() != users {
		t.Fatal("a user was created for a deleted member")
	}
}

func TestOAuthCallbackRefusals(t *testing.T) {
	h := newHarness(t)
	p := newTestProvider(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	eve := member("member-eve", "eve@example.com", "Eve", map[string]any{"immich_quota": 1})

	expectError(t, h.do("POST", "/api/oauth/authorize", anonymous, map[string]any{"redirectUri": h.srv.URL + "/auth/login"}), 400, "OAuth is not enabled")
	expectError(t, h.do("POST", "/api/oauth/callback", anonymous, map[string]any{"url": h.srv.URL + "/auth/login?code=x&state=y"}), 400, "OAuth is not enabled")
	h.enableOAuth(admin, p, nil)
	users, sessions := h.userCount(), h.sessionCount()

	rogue, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		prepare func()
		body    func(round oauthRound) (map[string]any, []*http.Cookie)
		status  int
		message string
	}{
		{name: "state missing", body: func(rd oauthRound) (map[string]any, []*http.Cookie) {
			return map[string]any{"url": rd.callbackURL}, nil
		}, status: 400, message: "OAuth state is missing"},
		{name: "code verifier missing", body: func(rd oauthRound) (map[string]any, []*http.Cookie) {
			return map[string]any{"url": rd.callbackURL, "state": cookieNamed(rd.cookies, cookieOAuthState).Value}, nil
		}, status: 400, message: "OAuth code verifier is missing"},
		{name: "wrong state", body: func(rd oauthRound) (map[string]any, []*http.Cookie) {
			return map[string]any{"url": rd.callbackURL, "state": "another-state"}, rd.cookies
		}, status: 500, message: "Failed to finish oauth"},
		{name: "wrong PKCE verifier", body: func(rd oauthRound) (map[string]any, []*http.Cookie) {
			return map[string]any{"url": rd.callbackURL, "codeVerifier": strings.Repeat("v", 43)}, rd.cookies
		}, status: 500, message: "Failed to finish oauth"},
		{name: "bad signature", prepare: func() { p.setSigner(rogue) }, status: 500, message: "Failed to finish oauth"},
		{name: "wrong audience", prepare: func() { p.setTweak(func(c map[string]any) { c["aud"] = "another-instance" }) }, status: 500, message: "Failed to finish oauth"},
		{name: "expired ID token", prepare: func() {
			p.setTweak(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })
		}, status: 500, message: "Failed to finish oauth"},
		{name: "wrong issuer", prepare: func() { p.setTweak(func(c map[string]any) { c["iss"] = "https://elsewhere.example/photoplane" }) }, status: 500, message: "Failed to finish oauth"},
		{name: "code replayed", body: func(rd oauthRound) (map[string]any, []*http.Cookie) {
			first := h.doWith("POST", "/api/oauth/callback", anonymous, map[string]any{"url": rd.callbackURL}, rd.cookies)
			expectStatus(t, first, 201)
			users, sessions = h.userCount(), h.sessionCount()
			return map[string]any{"url": rd.callbackURL}, rd.cookies
		}, status: 500, message: "Failed to finish oauth"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.setSigner(p.key)
			p.setTweak(nil)
			if tc.prepare != nil {
				tc.prepare()
			}
			p.signAs(eve)
			round := h.goToProvider(h.srv.URL+"/auth/login", nil)
			body, cookies := map[string]any{"url": round.callbackURL}, round.cookies
			if tc.body != nil {
				body, cookies = tc.body(round)
			}
			expectError(t, h.doWith("POST", "/api/oauth/callback", anonymous, body, cookies), tc.status, tc.message)
			if h.userCount() != users || h.sessionCount() != sessions {
				t.Fatalf("a refused callback left a user or a session behind")
			}
		})
	}

	// The PKCE case really reached the provider, which refused the verifier.
	refused := 0
	for _, c := range p.calls() {
		if c.status == 400 {
			refused++
		}
	}
	if refused < 2 { // wrong verifier + replayed code
		t.Fatalf("the provider refused %d token requests, want the wrong verifier and the replay", refused)
	}
	expectStatus(t, h.do("POST", "/api/oauth/callback", anonymous, map[string]any{}), 400)
}

func TestPasswordLoginRefusedWhenOff(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	r := h.do("POST", "/api/api-keys", admin, map[string]any{"name": "photoplane", "permissions": []string{"all"}})
	expectStatus(t, r, 201)
	key := apiKey(r.json(t)["secret"].(string))

	expectStatus(t, h.do("PUT", "/api/system-config", key, map[string]any{"passwordLogin": map[string]any{"enabled": false}}), 200)
	expectError(t, h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": adminEmail, "password": adminPassword}), 401,
		"Password login has been disabled")
	// Even the right password for an unknown e-mail gets the same answer: nothing is looked up.
	expectError(t, h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": "x@example.com", "password": "x"}), 401,
		"Password login has been disabled")
	if f := h.do("GET", "/api/server/features", anonymous, nil).json(t); f["passwordLogin"] != false {
		t.Fatalf("features %v", f)
	}
	// API keys and existing sessions keep working.
	expectStatus(t, h.do("GET", "/api/users/me", key, nil), 200)
	expectStatus(t, h.do("GET", "/api/users/me", admin, nil), 200)

	expectStatus(t, h.do("PUT", "/api/system-config", key, map[string]any{"passwordLogin": map[string]any{"enabled": true}}), 200)
	h.login(adminEmail, adminPassword)
}

func TestBackchannelLogoutEndsExactlyTheSessionsOfThatSid(t *testing.T) {
	h := newHarness(t)
	p := newTestProvider(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)

	post := func(form url.Values) response {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/oauth/backchannel-logout", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return h.send(req)
	}
	logout := func(tok string) response { return post(url.Values{"logout_token": {tok}}) }

	expectError(t, logout(p.logoutToken("member-frank", "", nil)), 400, "Received backchannel logout request but OAuth is not enabled")
	h.enableOAuth(admin, p, nil)

	frank := member("member-frank", "frank@example.com", "Frank", map[string]any{"immich_quota": 1})
	grace := member("member-grace", "grace@example.com", "Grace", map[string]any{"immich_quota": 1})
	signIn := func(m providerMember) (string, string) {
		r := h.oauthLogin(p, m)
		expectStatus(t, r, 201)
		tok := r.json(t)["accessToken"].(string)
		var sid string
		_ = h.root.store.view(func(st *State) error {
			sid = st.sessionByTokenHash(sha256Hex(tok)).OAuthSid
			return nil
		})
		return tok, sid
	}
	f1, sid1 := signIn(frank)
	f2, _ := signIn(frank)
	g1, sid3 := signIn(grace)
	alive := func(tok string) bool { return h.do("GET", "/api/users/me", bearer(tok), nil).status == 200 }

	// Refused tokens end nothing.
	rogue, _ := rsa.GenerateKey(rand.Reader, 2048)
	bad := map[string]string{
		"no event":        p.logoutToken("member-frank", sid1, func(c map[string]any) { delete(c, "events") }),
		"nonce":           p.logoutToken("member-frank", sid1, func(c map[string]any) { c["nonce"] = "n" }),
		"wrong audience":  p.logoutToken("member-frank", sid1, func(c map[string]any) { c["aud"] = "another-instance" }),
		"wrong issuer":    p.logoutToken("member-frank", sid1, func(c map[string]any) { c["iss"] = "https://elsewhere.example/photoplane" }),
		"issued long ago": p.logoutToken("member-frank", sid1, func(c map[string]any) { c["iat"] = time.Now().Add(-3 * time.Minute).Unix() }),
		"expired":         p.logoutToken("member-frank", sid1, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }),
		"no iat":          p.logoutToken("member-frank", sid1, func(c map[string]any) { delete(c, "iat") }),
		"not a token":     "invalid token",
		"signed elsewhere": func() string {
			p.setSigner(rogue)
			defer p.setSigner(p.key)
			return p.logoutToken("member-frank", sid1, nil)
		}(),
	}
	for name, tok := range bad {
		if r := logout(tok); r.status != 400 || r.message(t) != "Error backchannel logout: token validation failed" {
			t.Fatalf("%s: %d %s", name, r.status, r.raw)
		}
	}
	expectStatus(t, post(url.Values{}), 400)
	expectError(t, logout(p.logoutToken("", "", nil)), 400, "Invalid logout token: it must contain either a sub or a sid claim")
	if !alive(f1) || !alive(f2) || !alive(g1) {
		t.Fatal("a refused logout token ended a session")
	}

	// sub + sid: only that session of that member. Like Immich (jose), jti and
	// exp are not insisted on: some providers leave exp out of logout tokens.
	r := logout(p.logoutToken("member-frank", sid1, func(c map[string]any) { delete(c, "exp"); delete(c, "jti") }))
	expectStatus(t, r, 200)
	if len(r.raw) != 0 {
		t.Fatalf("back-channel logout answered a body: %s", r.raw)
	}
	expectError(t, h.do("GET", "/api/users/me", bearer(f1), nil), 401, "Invalid user token")
	if !alive(f2) || !alive(g1) {
		t.Fatal("sub+sid logout ended other sessions")
	}
	// The right sid with another member's sub ends nothing.
	expectStatus(t, logout(p.logoutToken("member-frank", sid3, nil)), 200)
	if !alive(g1) {
		t.Fatal("a sid of another member was ended")
	}
	// sub alone: every session of the member.
	expectStatus(t, logout(p.logoutToken("member-frank", "", nil)), 200)
	if alive(f2) || !alive(g1) {
		t.Fatal("sub logout did not end exactly the member's sessions")
	}
	// sid alone, sent as JSON (Immich's controller takes both encodings).
	r = h.do("POST", "/api/oauth/backchannel-logout", anonymous, map[string]any{"logout_token": p.logoutToken("", sid3, nil)})
	expectStatus(t, r, 200)
	if alive(g1) || !alive(token) {
		t.Fatal("sid logout did not end exactly that session")
	}
}

func TestOAuthLogoutLinkUnlinkAndMobileRedirect(t *testing.T) {
	h := newHarness(t)
	p := newTestProvider(t)
	token, adminID := h.signUpAdmin()
	admin := bearer(token)
	h.enableOAuth(admin, p, nil)

	// Logout of an OAuth session sends the browser to the provider's end-session endpoint.
	r := h.oauthLogin(p, member("member-heidi", "heidi@example.com", "Heidi", map[string]any{"immich_quota": 1}))
	expectStatus(t, r, 201)
	out := h.doWith("POST", "/api/auth/logout", anonymous, nil, setCookies(r))
	expectStatus(t, out, 200)
	if out.json(t)["redirectUri"] != p.issuer+"/session/end" {
		t.Fatalf("OAuth logout %s", out.raw)
	}
	expectStatus(t, h.do("GET", "/api/users/me", bearer(r.json(t)["accessToken"].(string)), nil), 401)
	// A password session goes back to the login page without auto-launch.
	pw := h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": adminEmail, "password": adminPassword})
	out = h.doWith("POST", "/api/auth/logout", anonymous, nil, setCookies(pw))
	if out.json(t)["redirectUri"] != "/auth/login?autoLaunch=0" {
		t.Fatalf("password logout %s", out.raw)
	}

	// Link: the signed-in admin ties their account to a provider identity.
	p.signAs(member("owner-sub", adminEmail, "Owner", nil))
	round := h.goToProvider(h.srv.URL+"/user-settings", nil)
	r = h.doWith("POST", "/api/oauth/link", admin, map[string]any{"url": round.callbackURL}, round.cookies)
	expectStatus(t, r, 201)
	if r.json(t)["oauthId"] != "owner-sub" || r.json(t)["id"] != adminID {
		t.Fatalf("link %s", r.raw)
	}
	// The same identity cannot be linked to a second user.
	other := h.createUser(admin, map[string]any{"email": "ivan@example.com", "name": "Ivan", "password": "ivan-password"})
	ivan := bearer(h.login("ivan@example.com", "ivan-password"))
	round = h.goToProvider(h.srv.URL+"/user-settings", nil)
	expectError(t, h.doWith("POST", "/api/oauth/link", ivan, map[string]any{"url": round.callbackURL}, round.cookies), 400,
		"This OAuth account has already been linked to another user.")
	if h.userAdmin(admin, other["id"].(string))["oauthId"] != "" {
		t.Fatal("refused link was applied")
	}
	r = h.do("POST", "/api/oauth/unlink", admin, nil)
	expectStatus(t, r, 200)
	if r.json(t)["oauthId"] != "" {
		t.Fatalf("unlink %s", r.raw)
	}

	// Mobile: the redirect hands the query to the app.
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/oauth/mobile-redirect?code=abc&state=xyz", nil)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 307 || resp.Header.Get("Location") != "app.immich:///oauth-callback?code=abc&state=xyz" {
		t.Fatalf("mobile redirect %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// With the override on, the app's callback is swapped for the configured URI.
	h.enableOAuth(admin, p, map[string]any{"mobileOverrideEnabled": true, "mobileRedirectUri": h.srv.URL + "/api/oauth/mobile-redirect"})
	r = h.do("POST", "/api/oauth/authorize", anonymous, map[string]any{"redirectUri": "app.immich:///oauth-callback"})
	expectStatus(t, r, 201)
	u, _ := url.Parse(r.json(t)["url"].(string))
	if u.Query().Get("redirect_uri") != h.srv.URL+"/api/oauth/mobile-redirect" {
		t.Fatalf("mobile override: %s", u)
	}
}

func TestOAuthDiscoveryFailures(t *testing.T) {
	h := newHarness(t)
	p := newTestProvider(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)

	// An http issuer needs allowInsecureRequests, as with openid-client.
	h.enableOAuth(admin, p, map[string]any{"allowInsecureRequests": false})
	r := h.do("POST", "/api/oauth/authorize", anonymous, map[string]any{"redirectUri": h.srv.URL + "/auth/login"})
	expectStatus(t, r, 500)
	if msg, _ := r.message(t).(string); !strings.HasPrefix(msg, "Error in OAuth discovery: ") {
		t.Fatalf("insecure issuer: %s", r.raw)
	}
	// The discovery document's address works as issuerUrl too (Immich's e2e tests use it).
	h.enableOAuth(admin, p, map[string]any{"issuerUrl": p.issuer + "/.well-known/openid-configuration"})
	expectStatus(t, h.oauthLogin(p, member("member-judy", "judy@example.com", "Judy", nil)), 201)
	// An issuer that does not match its document is refused.
	h.enableOAuth(admin, p, map[string]any{"issuerUrl": p.srv.URL + "/elsewhere"})
	expectStatus(t, h.do("POST", "/api/oauth/authorize", anonymous, map[string]any{"redirectUri": h.srv.URL + "/auth/login"}), 500)
	// A configured prompt is passed on.
	h.enableOAuth(admin, p, map[string]any{"prompt": "login"})
	r = h.do("POST", "/api/oauth/authorize", anonymous, map[string]any{"redirectUri": h.srv.URL + "/auth/login", "state": "s1", "codeChallenge": "c1"})
	u, _ := url.Parse(r.json(t)["url"].(string))
	if q := u.Query(); q.Get("prompt") != "login" || q.Get("state") != "s1" || q.Get("code_challenge") != "c1" {
		t.Fatalf("authorize with client state and challenge: %s", u)
	}
	if c := cookieNamed(setCookies(r), cookieOAuthVerifier); c == nil || c.MaxAge >= 0 {
		t.Fatal("a client with its own challenge must not be left with an earlier verifier cookie")
	}
}

func TestSystemConfigOAuthRoundTrip(t *testing.T) {
	dir := t.TempDir()
	h := startHarness(t, dir)
	p := newTestProvider(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)

	defaults := h.do("GET", "/api/system-config", admin, nil).json(t)
	if o := defaults["oauth"].(map[string]any); o["enabled"] != false || o["scope"] != "openid email profile" ||
		o["storageQuotaClaim"] != "immich_quota" || o["defaultStorageQuota"] != nil || o["timeout"] != float64(30000) {
		t.Fatalf("oauth defaults %v", o)
	}
	if defaults["passwordLogin"].(map[string]any)["enabled"] != true {
		t.Fatalf("passwordLogin defaults %v", defaults["passwordLogin"])
	}

	want := contractOAuth(p, "http://acme.photos.localhost:8080")
	body := map[string]any{
		"oauth":           want,
		"passwordLogin":   map[string]any{"enabled": false},
		"server":          map[string]any{"externalDomain": "http://acme.photos.localhost:8080", "loginPageMessage": "Welcome to Acme photos", "publicUsers": true},
		"storageTemplate": map[string]any{"enabled": true},
		"user":            map[string]any{"deleteDelay": 30},
		"machineLearning": map[string]any{"enabled": false}, // not kept, accepted
	}
	r := h.do("PUT", "/api/system-config", admin, body)
	expectStatus(t, r, 200)
	check := func(cfg map[string]any) {
		t.Helper()
		gotOAuth := cfg["oauth"].(map[string]any)
		for k, v := range want {
			if gotOAuth[k] != v {
				t.Fatalf("oauth.%s = %v, want %v", k, gotOAuth[k], v)
			}
		}
		if len(gotOAuth) != len(want) {
			t.Fatalf("oauth section has %d fields, want %d: %v", len(gotOAuth), len(want), gotOAuth)
		}
		if cfg["passwordLogin"].(map[string]any)["enabled"] != false || cfg["server"].(map[string]any)["externalDomain"] != "http://acme.photos.localhost:8080" ||
			cfg["user"].(map[string]any)["deleteDelay"] != float64(30) {
			t.Fatalf("config %v", cfg)
		}
	}
	check(r.json(t))
	check(h.do("GET", "/api/system-config", admin, nil).json(t))

	f := h.do("GET", "/api/server/features", anonymous, nil).json(t)
	if f["oauth"] != true || f["oauthAutoLaunch"] != true || f["passwordLogin"] != false {
		t.Fatalf("features %v", f)
	}
	sc := h.do("GET", "/api/server/config", anonymous, nil).json(t)
	if sc["externalDomain"] != "http://acme.photos.localhost:8080" || sc["oauthButtonText"] != "Sign in with Photoplane" ||
		sc["loginPageMessage"] != "Welcome to Acme photos" || sc["oauthAccountManagementUrl"] != "http://acme.photos.localhost:8080/photoplane/account" ||
		sc["userDeleteDelay"] != float64(30) {
		t.Fatalf("server config %v", sc)
	}

	// Bad input is refused with the field named, and nothing of the request is applied.
	refusals := []struct {
		body map[string]any
		msg  string
	}{
		{map[string]any{"oauth": map[string]any{"clientId": ""}, "user": map[string]any{"deleteDelay": 3}}, "oauth.clientId should not be empty"},
		{map[string]any{"oauth": map[string]any{"issuerUrl": ""}}, "oauth.issuerUrl should not be empty"},
		{map[string]any{"oauth": map[string]any{"tokenEndpointAuthMethod": "private_key_jwt"}}, "oauth.tokenEndpointAuthMethod must be one of the following values: client_secret_post, client_secret_basic"},
		{map[string]any{"oauth": map[string]any{"timeout": 0}}, "oauth.timeout must be a positive number"},
		{map[string]any{"oauth": map[string]any{"defaultStorageQuota": -1}}, "oauth.defaultStorageQuota must not be less than 0"},
		{map[string]any{"oauth": map[string]any{"autoLaunch": "yes"}}, "oauth.autoLaunch must be a boolean value"},
		{map[string]any{"oauth": map[string]any{"mobileOverrideEnabled": true, "mobileRedirectUri": "not a url"}}, "oauth.mobileRedirectUri must be a URL address"},
		{map[string]any{"oauth": "on"}, "oauth must be an object"},
		{map[string]any{"passwordLogin": map[string]any{"enabled": "no"}}, "passwordLogin.enabled must be a boolean value"},
		{map[string]any{"server": map[string]any{"externalDomain": "acme"}}, "server.externalDomain must be a URL address"},
	}
	for _, rf := range refusals {
		r := h.do("PUT", "/api/system-config", admin, rf.body)
		expectStatus(t, r, 400)
		msgs, _ := r.message(t).([]any)
		if !slices.Contains(msgs, any(rf.msg)) {
			t.Fatalf("%v: messages %v, want %q", rf.body, msgs, rf.msg)
		}
	}
	check(h.do("GET", "/api/system-config", admin, nil).json(t))

	// Kept across a restart.
	h2 := startHarness(t, dir)
	check(h2.do("GET", "/api/system-config", admin, nil).json(t))
}

func TestDiscoveryAndUploadPaths(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)

	r := h.do("GET", "/.well-known/immich", anonymous, nil)
	expectStatus(t, r, 200)
	if api := r.json(t)["api"].(map[string]any); api["endpoint"] != "/api" {
		t.Fatalf("well-known %s", r.raw)
	}
	mt := h.do("GET", "/api/server/media-types", anonymous, nil).json(t)
	has := func(list any, ext string) bool { return slices.Contains(list.([]any), any(ext)) }
	if !has(mt["image"], ".jpg") || !has(mt["image"], ".heic") || !has(mt["video"], ".mp4") || !has(mt["sidecar"], ".xmp") || has(mt["image"], ".mp4") {
		t.Fatalf("media types %v", mt)
	}

	photo := []byte("a photo's bytes")
	up := h.upload(admin, "beach.jpg", photo, nil)
	expectStatus(t, up, 201)
	assetID := up.json(t)["id"].(string)
	sum := sha1Of(photo)
	check := func(c cred, items []map[string]any) []map[string]any {
		t.Helper()
		r := h.do("POST", "/api/assets/bulk-upload-check", c, map[string]any{"assets": items})
		expectStatus(t, r, 200)
		var out struct {
			Results []map[string]any `json:"results"`
		}
		_ = json.Unmarshal(r.raw, &out)
		return out.Results
	}
	res := check(admin, []map[string]any{
		{"id": "beach.jpg", "checksum": base64Std(sum)},
		{"id": "beach-hex.jpg", "checksum": hexOf(sum)},
		{"id": "new.jpg", "checksum": hexOf(sha1Of([]byte("new")))},
	})
	if len(res) != 3 || res[0]["action"] != "reject" || res[0]["reason"] != "duplicate" || res[0]["assetId"] != assetID ||
		res[0]["isTrashed"] != false || res[1]["assetId"] != assetID || res[2]["action"] != "accept" || res[2]["id"] != "new.jpg" {
		t.Fatalf("bulk upload check %v", res)
	}
	if _, ok := res[2]["assetId"]; ok {
		t.Fatalf("accepted item carries an assetId: %v", res[2])
	}
	expectStatus(t, h.do("DELETE", "/api/assets", admin, map[string]any{"ids": []string{assetID}}), 204)
	if res = check(admin, []map[string]any{{"id": "a", "checksum": base64Std(sum)}}); res[0]["isTrashed"] != true {
		t.Fatalf("trashed asset %v", res)
	}
	// Another user's library is not looked at.
	h.createUser(admin, map[string]any{"email": "kim@example.com", "name": "Kim", "password": "kim-password"})
	kim := bearer(h.login("kim@example.com", "kim-password"))
	if res = check(kim, []map[string]any{{"id": "a", "checksum": base64Std(sum)}}); res[0]["action"] != "accept" {
		t.Fatalf("other user's duplicate leaked: %v", res)
	}
	expectStatus(t, h.do("POST", "/api/assets/bulk-upload-check", admin, map[string]any{}), 400)
	expectStatus(t, h.do("POST", "/api/assets/bulk-upload-check", admin, map[string]any{"assets": []map[string]any{{"id": "x"}}}), 400)
	expectError(t, h.do("POST", "/api/assets/bulk-upload-check", anonymous, map[string]any{"assets": []any{}}), 401, "Authentication required")
}

func sha1Of(b []byte) []byte    { s := sha1.Sum(b); return s[:] }
func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
func hexOf(b []byte) string     { return hex.EncodeToString(b) }
