package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// Immich's OAuth login (its OAuthController, AuthService.authorize /
// callback / link / unlink / backchannelLogout and OAuthRepository), with
// go-oidc, x/oauth2 and go-jose as the relying-party code in place of
// openid-client and jose.
// As in Immich, the provider is discovered afresh for every request, so a
// changed config or a rotated key is picked up at once.

const (
	cookieAccessToken     = "immich_access_token"
	cookieAuthType        = "immich_auth_type"
	cookieIsAuthenticated = "immich_is_authenticated"
	cookieOAuthState      = "immich_oauth_state"
	cookieOAuthVerifier   = "immich_oauth_code_verifier"

	mobileRedirect = "app.immich:///oauth-callback" // Immich's MOBILE_REDIRECT
	loginURL       = "/auth/login?autoLaunch=0"     // Immich's LOGIN_URL

	gib = 1 << 30
)

// OAuthConfigDto -> OAuthAuthorizeResponseDto, plus the state and PKCE
// verifier cookies the web client relies on.
func (s *Server) startOAuth(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	redirectURI := v.requiredStr(b, "redirectUri")
	state, _ := v.str(b, "state")
	challenge, _ := v.str(b, "codeChallenge")
	if err := v.err(); err != nil {
		return err
	}
	cfg := s.oauthConfig()
	if !cfg.Enabled {
		return badRequest("OAuth is not enabled")
	}
	rp, err := s.discover(r.Context(), cfg)
	if err != nil {
		return err
	}
	if state == "" {
		state = randomURLToken()
	}
	verifier := ""
	if challenge == "" {
		verifier = oauth2.GenerateVerifier()
		challenge = oauth2.S256ChallengeFromVerifier(verifier)
	}
	opts := []oauth2.AuthCodeOption{}
	if cfg.Prompt != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", cfg.Prompt))
	}
	if rp.supportsPKCE() {
		opts = append(opts, oauth2.SetAuthURLParam("code_challenge", challenge), oauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	oc := rp.oauth2Config(resolveRedirectURI(cfg, redirectURI))
	authURL := oc.AuthCodeURL(state, opts...)

	setCookie(w, r, cookieOAuthState, state, true)
	if verifier != "" {
		setCookie(w, r, cookieOAuthVerifier, verifier, true)
	} else {
		// The client keeps its own verifier. Immich overwrites the cookie
		// with a useless null; clearing it has the same effect: a verifier
		// left from an earlier attempt cannot be picked up.
		clearCookie(w, r, cookieOAuthVerifier)
	}
	writeJSON(w, http.StatusCreated, map[string]string{"url": authURL})
	return nil
}

// OAuthCallbackDto -> LoginResponseDto: state and PKCE checked, the ID token
// verified against the provider's JWKS (signature, issuer, audience, expiry),
// then the user is found by sub, linked by e-mail or registered with the
// quota, storage label and role claims.
func (s *Server) finishOAuth(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	cb, err := readCallback(r)
	if err != nil {
		return err
	}
	// Once the body is valid, Immich clears the one-time cookies whatever the outcome.
	clearCookie(w, r, cookieOAuthState)
	clearCookie(w, r, cookieOAuthVerifier)
	cfg := s.oauthConfig()
	if !cfg.Enabled {
		return badRequest("OAuth is not enabled")
	}
	if cb.state == "" {
		return badRequest("OAuth state is missing")
	}
	if cb.verifier == "" {
		return badRequest("OAuth code verifier is missing")
	}

	rp, err := s.discover(r.Context(), cfg)
	if err != nil {
		return err
	}
	prof, err := rp.profile(resolveRedirectURI(cfg, cb.url), cb.state, cb.verifier)
	if err != nil {
		s.log.Printf("OAuth login failed: %v", err)
		return internalError("Failed to finish oauth")
	}

	token := randomToken()
	var out loginDTO
	err = s.store.update(func(st *State) error {
		u, err := st.oauthUser(prof, cfg)
		if err != nil {
			return err
		}
		now := nowUTC()
		st.Sessions = append(st.Sessions, &Session{
			ID: newUUID(), UserID: u.ID, TokenHash: sha256Hex(token), DeviceType: r.UserAgent(),
			OAuthSid: prof.sid, CreatedAt: now, UpdatedAt: now,
		})
		out = mapLogin(u, token)
		return nil
	})
	if err != nil {
		return err
	}
	setAuthCookies(w, r, token, "oauth")
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// oauthUser is the user side of AuthService.callback (call with the lock held).
func (st *State) oauthUser(prof *oauthProfile, cfg OAuthConfig) (*User, error) {
	email := strings.ToLower(strings.TrimSpace(prof.str("email")))
	if u := st.userByOAuthID(prof.sub); u != nil {
		return u, nil
	}
	if email != "" {
		if u := st.userByEmail(email); u != nil && u.DeletedAt == nil {
			if u.OAuthID != "" {
				return nil, badRequest("OAuth authentication failed") // e-mail linked to another sub
			}
			u.OAuthID, u.UpdatedAt = prof.sub, nowUTC()
			return u, nil
		}
	}
	if !cfg.AutoRegister {
		return nil, badRequest("OAuth authentication failed")
	}
	if email == "" {
		return nil, badRequest("OAuth profile does not have an email address")
	}
	if st.userByEmail(email) != nil {
		// A deleted user still holds the e-mail: Immich's insert fails on its
		// unique constraint, which its error interceptor turns into this.
		return nil, internalError("Failed to finish oauth")
	}

	in := newUserInput{email: email, oauthID: prof.sub, name: prof.displayName(email)}
	if label, ok := prof.claims[cfg.StorageLabelClaim].(string); ok && label != "" {
		in.storageLabel = &label
	}
	quota := cfg.DefaultStorageQuota
	if q, ok := quotaClaim(prof.claims, cfg.StorageQuotaClaim); ok {
		quota = q
	}
	if quota != nil {
		bytes := int64(math.Floor(*quota * gib)) // Immich stores whole bytes
		in.quota = &bytes
	}
	role, _ := prof.claims[cfg.RoleClaim].(string)
	in.isAdmin = role == "admin"
	return st.createUser(in)
}

// quotaClaim reads the quota claim the way Immich's getClaim does:
// `Number(value) >= 0` is valid, so numbers, numeric strings, booleans and
// null pass; null means unlimited.
func quotaClaim(claims map[string]any, key string) (*float64, bool) {
	raw, present := claims[key]
	if !present {
		return nil, false
	}
	var n float64
	switch v := raw.(type) {
	case nil:
		return nil, true
	case float64:
		n = v
	case bool:
		if v {
			n = 1
		}
	case string:
		t := strings.TrimSpace(v)
		if t == "" {
			n = 0
		} else if f, err := strconv.ParseFloat(t, 64); err == nil {
			n = f
		} else {
			return nil, false
		}
	default:
		return nil, false
	}
	if math.IsNaN(n) || n < 0 || math.IsInf(n, 0) {
		return nil, false
	}
	return &n, true
}

// POST /api/oauth/link: ties the signed-in user to the provider's sub.
func (s *Server) linkOAuthAccount(w http.ResponseWriter, r *http.Request, a *Auth) error {
	cb, err := readCallback(r)
	if err != nil {
		return err
	}
	if cb.state == "" {
		return badRequest("OAuth state is missing")
	}
	if cb.verifier == "" {
		return badRequest("OAuth code verifier is missing")
	}
	cfg := s.oauthConfig()
	rp, err := s.discover(r.Context(), cfg)
	if err != nil {
		return err
	}
	prof, err := rp.profile(cb.url, cb.state, cb.verifier)
	if err != nil {
		s.log.Printf("OAuth link failed: %v", err)
		return internalError("Failed to link oauth account")
	}
	var out userAdminDTO
	err = s.store.update(func(st *State) error {
		if d := st.userByOAuthID(prof.sub); d != nil && d.ID != a.UserID {
			return badRequest("This OAuth account has already been linked to another user.")
		}
		if a.SessionID != "" && prof.sid != "" {
			for _, sess := range st.Sessions {
				if sess.ID == a.SessionID {
					sess.OAuthSid = prof.sid
				}
			}
		}
		u := st.userByID(a.UserID)
		if u == nil {
			return unauthorized("Invalid user token")
		}
		u.OAuthID, u.UpdatedAt = prof.sub, nowUTC()
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// POST /api/oauth/unlink
func (s *Server) unlinkOAuthAccount(w http.ResponseWriter, r *http.Request, a *Auth) error {
	var out userAdminDTO
	err := s.store.update(func(st *State) error {
		for _, sess := range st.Sessions {
			if sess.ID == a.SessionID {
				sess.OAuthSid = ""
			}
		}
		u := st.userByID(a.UserID)
		if u == nil {
			return unauthorized("Invalid user token")
		}
		u.OAuthID, u.UpdatedAt = "", nowUTC()
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// GET /api/oauth/mobile-redirect: 307 to the app with the same query.
func (s *Server) redirectOAuthToMobile(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	// Immich takes request.url.split('?', 2)[1]: the text between the first and a second '?'.
	query, _, _ := strings.Cut(r.URL.RawQuery, "?")
	w.Header().Set("Location", mobileRedirect+"?"+query)
	w.WriteHeader(http.StatusTemporaryRedirect)
	return nil
}

// POST /api/oauth/backchannel-logout (form-encoded logout_token): the
// token is checked like Immich's validateLogoutToken (see there) and the
// matching sessions end:
// those with that sid of that user when both are given, every session of
// the user for a sub alone, every session with the sid for a sid alone.
func (s *Server) logoutOAuth(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	raw, err := readLogoutToken(r)
	if err != nil {
		return err
	}
	cfg := s.oauthConfig()
	if !cfg.Enabled {
		return badRequest("Received backchannel logout request but OAuth is not enabled")
	}
	sub, sid, err := s.validateLogoutToken(r.Context(), cfg, raw)
	if errors.Is(err, errLogoutNoSubject) {
		return badRequest("Invalid logout token: it must contain either a sub or a sid claim")
	}
	if err != nil {
		s.log.Printf("Error backchannel logout: %v", err)
		return badRequest("Error backchannel logout: token validation failed")
	}
	err = s.store.update(func(st *State) error {
		st.Sessions = filter(st.Sessions, func(sess *Session) bool {
			owner := st.userByID(sess.UserID)
			userMatches := owner != nil && owner.OAuthID != "" && owner.OAuthID == sub
			switch {
			case sid != "" && sub != "":
				return !(sess.OAuthSid == sid && userMatches)
			case sub != "":
				return !userMatches
			default:
				return sess.OAuthSid != sid
			}
		})
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

var errLogoutNoSubject = errors.New("logout token has neither sub nor sid")

// validateLogoutToken is Immich's OAuthRepository.validateLogoutToken: jose's
// jwtVerify against the provider's JWKS with the issuer, audience = client
// id, algorithm = signingAlgorithm, maxTokenAge 2 minutes and a 5 s clock
// tolerance (so iat is required and exp, when present, is checked), then the
// back-channel logout event must be there and a nonce must not.
func (s *Server) validateLogoutToken(ctx context.Context, cfg OAuthConfig, raw string) (sub, sid string, err error) {
	rp, err := s.discover(ctx, cfg)
	if err != nil {
		return "", "", err
	}
	if _, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(cfg.SigningAlgorithm)}); err != nil {
		return "", "", fmt.Errorf("logout token: %w", err)
	}
	if rp.meta.JWKSURI == "" {
		return "", "", errors.New("unable to get JWKS URI")
	}
	payload, err := oidc.NewRemoteKeySet(rp.ctx, rp.meta.JWKSURI).VerifySignature(rp.ctx, raw)
	if err != nil {
		return "", "", err
	}
	var c struct {
		Iss    string                     `json:"iss"`
		Aud    json.RawMessage            `json:"aud"`
		Iat    *float64                   `json:"iat"`
		Exp    *float64                   `json:"exp"`
		Nbf    *float64                   `json:"nbf"`
		Sub    string                     `json:"sub"`
		Sid    string                     `json:"sid"`
		Events map[string]json.RawMessage `json:"events"`
		Nonce  json.RawMessage            `json:"nonce"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", "", fmt.Errorf("logout token payload: %w", err)
	}
	const tolerance = 5 * time.Second
	now := time.Now()
	at := func(f float64) time.Time { return time.Unix(0, int64(f*float64(time.Second))) }
	switch {
	case c.Iss != rp.issuer:
		return "", "", fmt.Errorf("unexpected iss %q", c.Iss)
	case !audienceHas(c.Aud, cfg.ClientID):
		return "", "", fmt.Errorf("unexpected aud %s", c.Aud)
	case c.Iat == nil:
		return "", "", errors.New("missing iat")
	case at(*c.Iat).After(now.Add(tolerance)):
		return "", "", errors.New("iat is in the future")
	case now.Sub(at(*c.Iat)) > 2*time.Minute+tolerance:
		return "", "", errors.New("logout token is older than 2 minutes")
	case c.Exp != nil && !at(*c.Exp).After(now.Add(-tolerance)):
		return "", "", errors.New("logout token has expired")
	case c.Nbf != nil && at(*c.Nbf).After(now.Add(tolerance)):
		return "", "", errors.New("logout token is not valid yet")
	}
	if ev, ok := c.Events["http://schemas.openid.net/event/backchannel-logout"]; !ok || isFalsyJSON(ev) {
		return "", "", errors.New("missing backchannel-logout event claim")
	}
	if len(c.Nonce) > 0 && !isFalsyJSON(c.Nonce) {
		return "", "", errors.New("logout token must not contain a nonce")
	}
	if c.Sub == "" && c.Sid == "" {
		return "", "", errLogoutNoSubject
	}
	return c.Sub, c.Sid, nil
}

// audienceHas: aud is the client id, or an array holding it.
func audienceHas(raw json.RawMessage, clientID string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == clientID
	}
	var many []string
	return json.Unmarshal(raw, &many) == nil && slices.Contains(many, clientID)
}

// isFalsyJSON: what JavaScript would take as false.
func isFalsyJSON(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case "", "null", "false", "0", `""`:
		return true
	}
	return false
}

// --- the relying party ---

type relyingParty struct {
	cfg      OAuthConfig
	ctx      context.Context // carries the outbound HTTP client for go-oidc and oauth2
	provider *oidc.Provider
	issuer   string
	meta     struct {
		Issuer               string   `json:"issuer"`
		JWKSURI              string   `json:"jwks_uri"`
		CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
		EndSessionEndpoint   string   `json:"end_session_endpoint"`
	}
}

var errInsecure = errors.New("only requests to HTTPS are allowed")

// discover is Immich's getClient: OpenID discovery from the issuer URL (the
// issuer itself, or its /.well-known/openid-configuration address).
func (s *Server) discover(ctx context.Context, cfg OAuthConfig) (*relyingParty, error) {
	client := &http.Client{Transport: s.outbound, Timeout: time.Duration(cfg.Timeout) * time.Millisecond}
	ctx = oidc.ClientContext(ctx, client)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	issuer := cfg.IssuerURL
	if i := strings.Index(issuer, "/.well-known/"); i >= 0 {
		issuer = issuer[:i]
	}
	rp := &relyingParty{cfg: cfg, ctx: ctx}
	var err error
	if u, perr := url.Parse(issuer); perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		err = fmt.Errorf("invalid issuer URL %q", cfg.IssuerURL)
	} else if u.Scheme == "http" && !cfg.AllowInsecureRequests {
		err = errInsecure
	} else if rp.provider, err = oidc.NewProvider(ctx, issuer); err == nil {
		err = rp.provider.Claims(&rp.meta)
		rp.issuer = rp.meta.Issuer
	}
	if err != nil {
		s.log.Printf("Error in OAuth discovery: %v", err)
		return nil, internalError("Error in OAuth discovery: " + err.Error())
	}
	return rp, nil
}

// supportsPKCE is openid-client's supportsPKCE(): the provider advertises S256.
func (rp *relyingParty) supportsPKCE() bool {
	return slices.Contains(rp.meta.CodeChallengeMethods, "S256")
}

func (rp *relyingParty) oauth2Config(redirectURI string) *oauth2.Config {
	ep := rp.provider.Endpoint()
	switch {
	case rp.cfg.ClientSecret == "":
		ep.AuthStyle = oauth2.AuthStyleInParams // "none": client_id only
	case rp.cfg.TokenEndpointAuthMethod == "client_secret_basic":
		ep.AuthStyle = oauth2.AuthStyleInHeader
	default:
		ep.AuthStyle = oauth2.AuthStyleInParams // client_secret_post
	}
	return &oauth2.Config{
		ClientID: rp.cfg.ClientID, ClientSecret: rp.cfg.ClientSecret, Endpoint: ep,
		RedirectURL: redirectURI, Scopes: strings.Fields(rp.cfg.Scope),
	}
}

// oauthProfile is what Immich calls the OAuth profile: the ID token's
// claims (or the userinfo answer when the ID token has no e-mail).
type oauthProfile struct {
	sub    string
	sid    string
	claims map[string]any
}

func (p *oauthProfile) str(k string) string { s, _ := p.claims[k].(string); return s }

// displayName: name, else given + family name, else preferred_username, else e-mail.
func (p *oauthProfile) displayName(email string) string {
	if n := p.str("name"); n != "" {
		return n
	}
	if n := strings.TrimSpace(p.str("given_name") + " " + p.str("family_name")); n != "" {
		return n
	}
	if n := p.str("preferred_username"); n != "" {
		return n
	}
	return email
}

// profile is Immich's getProfileAndOAuthSid: the authorization response in
// callbackURL is checked (error, iss, state), the code is exchanged with the
// PKCE verifier, and the ID token is verified.
func (rp *relyingParty) profile(callbackURL, expectedState, verifier string) (*oauthProfile, error) {
	u, err := url.Parse(callbackURL)
	if err != nil {
		return nil, fmt.Errorf("callback URL: %w", err)
	}
	q := u.Query()
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("authorization response error %q: %s", e, q.Get("error_description"))
	}
	if iss := q.Get("iss"); iss != "" && iss != rp.issuer {
		return nil, fmt.Errorf("unexpected \"iss\" response parameter value %q", iss)
	}
	if q.Get("state") != expectedState {
		return nil, errors.New("unexpected \"state\" response parameter value")
	}
	code := q.Get("code")
	if code == "" {
		return nil, errors.New("authorization response has no code")
	}
	// The redirect_uri of the token request is the callback URL without its query.
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""

	oc := rp.oauth2Config(u.String())
	opts := []oauth2.AuthCodeOption{}
	if rp.supportsPKCE() {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := oc.Exchange(rp.ctx, code, opts...)
	if err != nil {
		return nil, fmt.Errorf("token request: %w", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, errors.New("token response has no id_token")
	}
	idv := rp.provider.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID, SupportedSigningAlgs: []string{rp.cfg.SigningAlgorithm}})
	idt, err := idv.Verify(rp.ctx, rawID)
	if err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, err
	}
	prof := &oauthProfile{claims: claims}
	if sid, ok := claims["sid"].(string); ok {
		prof.sid = sid
	}
	if _, hasEmail := claims["email"]; !hasEmail {
		info, err := rp.provider.UserInfo(rp.ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, fmt.Errorf("userinfo: %w", err)
		}
		prof.claims = map[string]any{}
		if err := info.Claims(&prof.claims); err != nil {
			return nil, err
		}
	}
	prof.sub, _ = prof.claims["sub"].(string)
	if prof.sub == "" {
		return nil, errors.New("unexpected profile response, no `sub`")
	}
	return prof, nil
}

// logoutRedirect is Immich's getLogoutEndpoint for a session signed in with OAuth.
func (s *Server) logoutRedirect(ctx context.Context) (string, error) {
	cfg := s.oauthConfig()
	if !cfg.Enabled {
		return loginURL, nil
	}
	if cfg.EndSessionEndpoint != "" {
		return cfg.EndSessionEndpoint, nil
	}
	rp, err := s.discover(ctx, cfg)
	if err != nil {
		return "", err
	}
	if rp.meta.EndSessionEndpoint != "" {
		return rp.meta.EndSessionEndpoint, nil
	}
	return loginURL, nil
}

// --- helpers ---

func (s *Server) oauthConfig() OAuthConfig {
	var c OAuthConfig
	_ = s.store.view(func(st *State) error { c = st.Config.OAuth; return nil })
	return c
}

var mobileCallbackPattern = regexp.MustCompile(`app\.immich:/+oauth-callback`)

// resolveRedirectURI: with the mobile override on, Immich swaps the app's
// callback for the configured mobileRedirectUri.
func resolveRedirectURI(cfg OAuthConfig, u string) string {
	if cfg.MobileOverrideEnabled && cfg.MobileRedirectURI != "" {
		return mobileCallbackPattern.ReplaceAllLiteralString(u, cfg.MobileRedirectURI)
	}
	return u
}

type callbackBody struct{ url, state, verifier string }

// readCallback reads OAuthCallbackDto; state and codeVerifier fall back to
// Immich's cookies when absent from the body (an empty string does not).
func readCallback(r *http.Request) (*callbackBody, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	v := &validator{}
	cb := &callbackBody{url: v.requiredStr(b, "url")}
	state, hasState := v.str(b, "state")
	verifier, hasVerifier := v.str(b, "codeVerifier")
	if err := v.err(); err != nil {
		return nil, err
	}
	cb.state, cb.verifier = state, verifier
	if !hasState {
		cb.state = cookieValue(r, cookieOAuthState)
	}
	if !hasVerifier {
		cb.verifier = cookieValue(r, cookieOAuthVerifier)
	}
	return cb, nil
}

// readLogoutToken accepts the form encoding the spec prescribes, and JSON.
func readLogoutToken(r *http.Request) (string, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		r.Body = http.MaxBytesReader(nil, r.Body, maxJSONBody)
		if err := r.ParseForm(); err != nil {
			return "", badRequest("Unable to read request body")
		}
		if tok := r.PostForm.Get("logout_token"); tok != "" {
			return tok, nil
		}
		return "", badRequest([]string{"logout_token must be a string"})
	}
	b, err := readBody(r)
	if err != nil {
		return "", err
	}
	v := &validator{}
	tok := v.requiredStr(b, "logout_token")
	if tok == "" && len(v.msgs) == 1 && !b.has("logout_token") {
		v.msgs = []string{"logout_token must be a string"}
	}
	return tok, v.err()
}

func internalError(msg string) error {
	return &httpError{Status: http.StatusInternalServerError, Message: msg}
}

// isSecure is Immich's loginDetails.isSecure (Express's request.secure
// behind a trusted proxy): TLS here, or https at the edge.
func isSecure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// setCookie uses Immich's cookie options: path /, SameSite=Lax, 400 days,
// Secure on https, HttpOnly except immich_is_authenticated.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, httpOnly bool) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", SameSite: http.SameSiteLaxMode, Secure: isSecure(r),
		HttpOnly: httpOnly, MaxAge: 400 * 24 * 3600,
	})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, SameSite: http.SameSiteLaxMode, Secure: isSecure(r), HttpOnly: true})
}

func setAuthCookies(w http.ResponseWriter, r *http.Request, token, authType string) {
	setCookie(w, r, cookieAccessToken, token, true)
	setCookie(w, r, cookieAuthType, authType, true)
	setCookie(w, r, cookieIsAuthenticated, "true", false)
}

func mapLogin(u *User, token string) loginDTO {
	return loginDTO{
		AccessToken: token, IsAdmin: u.IsAdmin, IsOnboarded: false, Name: u.Name,
		ProfileImagePath: "", ShouldChangePassword: u.ShouldChangePassword,
		UserEmail: u.Email, UserID: u.ID,
	}
}

// randomURLToken is 32 random bytes, base64url (openid-client's randomState).
func randomURLToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
