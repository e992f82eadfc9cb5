package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// testProvider is a small OpenID provider for the stand-in's tests: it
// signs members in without asking (the member is chosen by the test),
// issues single-use codes bound to the redirect URI and the PKCE challenge,
// authenticates the client with client_secret_post and signs RS256 ID
// tokens and logout tokens. Its issuer ends in /photoplane, as Photoplane's does.
type testProvider struct {
	t            *testing.T
	srv          *httptest.Server
	issuer       string
	clientID     string
	clientSecret string

	mu          sync.Mutex
	key         *rsa.PrivateKey // published in the JWKS
	signer      *rsa.PrivateKey // signs tokens; a different key makes a bad signature
	kid         string
	member      providerMember
	tweak       func(claims map[string]any) // changes the next ID tokens' claims
	bareIDToken bool                        // profile claims only at userinfo (oidc-provider's conformIdTokenClaims)
	codes       map[string]*providerGrant
	access      map[string]map[string]any // access token -> userinfo claims
	tokenCalls  []tokenCall
	nextSid     int
}

type providerMember struct {
	sub    string
	claims map[string]any // email, name, immich_quota, ...
}

type providerGrant struct {
	redirectURI, challenge, method string
	member                         providerMember
	sid                            string
	used                           bool
}

type tokenCall struct {
	form          url.Values
	authorization string
	status        int
}

func newTestProvider(t *testing.T) *testProvider {
	t.Helper()
	p := newProviderHandler(t)
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + "/photoplane"
	return p
}

// newSocketProvider serves the provider on a unix socket under a host name
// that resolves nowhere: only a client dialling the socket can reach it.
func newSocketProvider(t *testing.T, socket, origin string) *testProvider {
	t.Helper()
	p := newProviderHandler(t)
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	p.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: p}}
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	p.issuer = origin + "/photoplane"
	return p
}

func newProviderHandler(t *testing.T) *testProvider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &testProvider{
		t: t, clientID: "0b6f2a4e-7c1d-4e8a-9f3b-2d5c6e7f8a9b", clientSecret: "client-secret-for-tests",
		key: key, signer: key, kid: "key-1",
		codes: map[string]*providerGrant{}, access: map[string]map[string]any{},
	}
}

func (p *testProvider) signAs(m providerMember) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.member = m
}

func (p *testProvider) setTweak(fn func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tweak = fn
}

func (p *testProvider) setSigner(k *rsa.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signer = k
}

func (p *testProvider) calls() []tokenCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]tokenCall(nil), p.tokenCalls...)
}

func (p *testProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/photoplane/.well-known/openid-configuration":
		writeJSON(w, 200, map[string]any{
			"issuer":                                p.issuer,
			"authorization_endpoint":                p.issuer + "/auth",
			"token_endpoint":                        p.issuer + "/token",
			"jwks_uri":                              p.issuer + "/jwks",
			"userinfo_endpoint":                     p.issuer + "/me",
			"end_session_endpoint":                  p.issuer + "/session/end",
			"response_types_supported":              []string{"code"},
			"code_challenge_methods_supported":      []string{"S256"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
			"backchannel_logout_supported":          true,
			"backchannel_logout_session_supported":  true,
			"subject_types_supported":               []string{"public"},
			"scopes_supported":                      []string{"openid", "email", "profile"},
		})
	case "/photoplane/jwks":
		p.mu.Lock()
		jwk := jose.JSONWebKey{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: "RS256", Use: "sig"}
		p.mu.Unlock()
		writeJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	case "/photoplane/auth":
		p.authorize(w, r)
	case "/photoplane/token":
		p.token(w, r)
	case "/photoplane/me":
		p.mu.Lock()
		claims := p.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		p.mu.Unlock()
		if claims == nil {
			w.WriteHeader(401)
			return
		}
		writeJSON(w, 200, claims)
	default:
		http.NotFound(w, r)
	}
}

// authorize signs the chosen member in at once and sends the browser back.
func (p *testProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.clientID || q.Get("response_type") != "code" || q.Get("redirect_uri") == "" {
		http.Error(w, "bad authorization request", 400)
		return
	}
	p.mu.Lock()
	p.nextSid++
	code := randomURLToken()
	p.codes[code] = &providerGrant{
		redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"),
		member: p.member, sid: fmt.Sprintf("sid-%d", p.nextSid),
	}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	bq.Set("iss", p.issuer)
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}

func (p *testProvider) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	p.mu.Lock()
	defer p.mu.Unlock()
	call := tokenCall{form: r.PostForm, authorization: r.Header.Get("Authorization")}
	fail := func(status int, code string) {
		call.status = status
		p.tokenCalls = append(p.tokenCalls, call)
		writeJSON(w, status, map[string]string{"error": code})
	}
	f := r.PostForm
	if f.Get("client_id") != p.clientID || f.Get("client_secret") != p.clientSecret {
		fail(401, "invalid_client")
		return
	}
	g := p.codes[f.Get("code")]
	if f.Get("grant_type") != "authorization_code" || g == nil || g.used || g.redirectURI != f.Get("redirect_uri") {
		fail(400, "invalid_grant")
		return
	}
	g.used = true
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if g.method != "S256" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		fail(400, "invalid_grant")
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": p.issuer, "sub": g.member.sub, "aud": p.clientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"sid": g.sid, "auth_time": now.Unix(),
	}
	if !p.bareIDToken {
		for k, v := range g.member.claims {
			claims[k] = v
		}
	}
	info := map[string]any{"sub": g.member.sub}
	for k, v := range g.member.claims {
		info[k] = v
	}
	if p.tweak != nil {
		p.tweak(claims)
	}
	access := randomURLToken()
	p.access[access] = info
	call.status = 200
	p.tokenCalls = append(p.tokenCalls, call)
	writeJSON(w, 200, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": "openid email profile",
		"id_token": p.sign(claims, "JWT"),
	})
}

// sign makes a compact RS256 JWS (call with p.mu held, or before sharing p).
func (p *testProvider) sign(claims map[string]any, typ string) string {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.signer, KeyID: p.kid}},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)),
	)
	if err != nil {
		p.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		p.t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// logoutToken is an OpenID Connect Back-Channel Logout token; tweak may change it.
func (p *testProvider) logoutToken(sub, sid string, tweak func(map[string]any)) string {
	now := time.Now()
	claims := map[string]any{
		"iss": p.issuer, "aud": p.clientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti":    randomURLToken(),
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}
	if sub != "" {
		claims["sub"] = sub
	}
	if sid != "" {
		claims["sid"] = sid
	}
	if tweak != nil {
		tweak(claims)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sign(claims, "logout+jwt")
}
