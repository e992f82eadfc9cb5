package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The part of the system config (AdminConfigDto) the stand-in keeps:
// storageTemplate, trash, user, oauth (every field), passwordLogin and server.

var tokenEndpointAuthMethods = []string{"client_secret_post", "client_secret_basic"}

func configDTO(c Config) map[string]any {
	return map[string]any{
		"storageTemplate": map[string]any{
			"enabled":                 c.StorageTemplateEnabled,
			"hashVerificationEnabled": c.HashVerificationEnabled,
			"template":                c.StorageTemplate,
		},
		"trash":         map[string]any{"enabled": c.TrashEnabled, "days": c.TrashDays},
		"user":          map[string]any{"deleteDelay": c.UserDeleteDelayDays},
		"oauth":         c.OAuth,
		"passwordLogin": map[string]any{"enabled": c.PasswordLoginEnabled},
		"server": map[string]any{
			"externalDomain":   c.ExternalDomain,
			"loginPageMessage": c.LoginPageMessage,
			"publicUsers":      c.PublicUsers,
		},
	}
}

func (s *Server) getSystemConfig(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	var c Config
	_ = s.store.view(func(st *State) error { c = st.Config; return nil })
	writeJSON(w, http.StatusOK, configDTO(c))
	return nil
}

// PUT /api/system-config. Immich expects the whole config back; here every
// section and field is optional (absent = unchanged) and sections the
// stand-in does not keep are accepted and ignored. Each field is checked the
// way Immich's DTO checks it; one bad field and nothing is applied.
func (s *Server) updateSystemConfig(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	var out map[string]any
	err = s.store.update(func(st *State) error {
		c := st.Config
		v := &validator{}
		applyStorageTemplate(v, b, &c)
		applyTrash(v, b, &c)
		applyUser(v, b, &c)
		applyOAuth(v, b, &c.OAuth)
		if sec, ok := section(v, b, "passwordLogin"); ok {
			if on, ok := v.boolean(sec, "passwordLogin.enabled"); ok {
				c.PasswordLoginEnabled = on
			}
		}
		applyServer(v, b, &c)
		if err := v.err(); err != nil {
			return err
		}
		st.Config = c
		out = configDTO(c)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// section returns the nested object b[name] with a validator whose messages
// are prefixed "name.", as class-validator reports nested fields.
func section(v *validator, b body, name string) (body, bool) {
	if !b.has(name) || b.isNull(name) {
		return nil, false
	}
	var sec body
	if err := json.Unmarshal(b[name], &sec); err != nil || sec == nil {
		v.add("%s must be an object", name)
		return nil, false
	}
	prefixed := body{}
	for k, raw := range sec {
		prefixed[name+"."+k] = raw
	}
	return prefixed, true
}

func applyStorageTemplate(v *validator, b body, c *Config) {
	sec, ok := section(v, b, "storageTemplate")
	if !ok {
		return
	}
	if on, ok := v.boolean(sec, "storageTemplate.enabled"); ok {
		c.StorageTemplateEnabled = on
	}
	if on, ok := v.boolean(sec, "storageTemplate.hashVerificationEnabled"); ok {
		c.HashVerificationEnabled = on
	}
	if tpl, ok := v.str(sec, "storageTemplate.template"); ok {
		if err := validateTemplate(tpl); err != nil {
			v.add("%s", err.Error())
		} else {
			c.StorageTemplate = tpl
		}
	}
}

func applyTrash(v *validator, b body, c *Config) {
	sec, ok := section(v, b, "trash")
	if !ok {
		return
	}
	if on, ok := v.boolean(sec, "trash.enabled"); ok {
		c.TrashEnabled = on
	}
	if days, ok := v.integer(sec, "trash.days"); ok {
		if days < 0 {
			v.add("trash.days must not be less than 0")
		} else {
			c.TrashDays = days
		}
	}
}

func applyUser(v *validator, b body, c *Config) {
	sec, ok := section(v, b, "user")
	if !ok {
		return
	}
	if days, ok := v.integer(sec, "user.deleteDelay"); ok {
		if days < 1 {
			v.add("user.deleteDelay must not be less than 1")
		} else {
			c.UserDeleteDelayDays = days
		}
	}
}

func applyServer(v *validator, b body, c *Config) {
	sec, ok := section(v, b, "server")
	if !ok {
		return
	}
	if d, ok := v.str(sec, "server.externalDomain"); ok {
		if d != "" && !isHTTPURL(d) {
			v.add("server.externalDomain must be a URL address")
		} else {
			c.ExternalDomain = d
		}
	}
	if m, ok := v.str(sec, "server.loginPageMessage"); ok {
		c.LoginPageMessage = m
	}
	if on, ok := v.boolean(sec, "server.publicUsers"); ok {
		c.PublicUsers = on
	}
}

// applyOAuth merges the oauth section into o, then checks the result as
// Immich's SystemConfigOAuthDto does (clientId and issuerUrl required when
// enabled, mobileRedirectUri a URL when the override is on, ...).
func applyOAuth(v *validator, b body, o *OAuthConfig) {
	sec, ok := section(v, b, "oauth")
	if !ok {
		return
	}
	bools := map[string]*bool{
		"allowInsecureRequests": &o.AllowInsecureRequests, "autoLaunch": &o.AutoLaunch, "autoRegister": &o.AutoRegister,
		"enabled": &o.Enabled, "mobileOverrideEnabled": &o.MobileOverrideEnabled,
	}
	strs := map[string]*string{
		"accountManagementUrl": &o.AccountManagementURL, "buttonText": &o.ButtonText, "clientId": &o.ClientID,
		"clientSecret": &o.ClientSecret, "endSessionEndpoint": &o.EndSessionEndpoint, "issuerUrl": &o.IssuerURL,
		"mobileRedirectUri": &o.MobileRedirectURI, "profileSigningAlgorithm": &o.ProfileSigningAlgorithm,
		"prompt": &o.Prompt, "roleClaim": &o.RoleClaim, "scope": &o.Scope, "signingAlgorithm": &o.SigningAlgorithm,
		"storageLabelClaim": &o.StorageLabelClaim, "storageQuotaClaim": &o.StorageQuotaClaim,
		"tokenEndpointAuthMethod": &o.TokenEndpointAuthMethod,
	}
	for _, k := range sortedKeys(bools) {
		if val, ok := v.boolean(sec, "oauth."+k); ok {
			*bools[k] = val
		}
	}
	for _, k := range sortedKeys(strs) {
		if val, ok := v.str(sec, "oauth."+k); ok {
			*strs[k] = val
		}
	}
	if sec.has("oauth.timeout") {
		if t, ok := v.integer(sec, "oauth.timeout"); ok {
			if t <= 0 {
				v.add("oauth.timeout must be a positive number")
			} else {
				o.Timeout = t
			}
		}
	}
	if sec.has("oauth.defaultStorageQuota") {
		if sec.isNull("oauth.defaultStorageQuota") {
			o.DefaultStorageQuota = nil
		} else {
			var q float64
			if err := json.Unmarshal(sec["oauth.defaultStorageQuota"], &q); err != nil {
				v.add("oauth.defaultStorageQuota must be a number conforming to the specified constraints")
			} else if q < 0 {
				v.add("oauth.defaultStorageQuota must not be less than 0")
			} else {
				o.DefaultStorageQuota = &q
			}
		}
	}

	if o.Enabled && o.ClientID == "" {
		v.add("oauth.clientId should not be empty")
	}
	if o.Enabled && o.IssuerURL == "" {
		v.add("oauth.issuerUrl should not be empty")
	}
	if o.SigningAlgorithm == "" {
		v.add("oauth.signingAlgorithm should not be empty")
	}
	if !slices.Contains(tokenEndpointAuthMethods, o.TokenEndpointAuthMethod) {
		v.add("oauth.tokenEndpointAuthMethod must be one of the following values: %s", strings.Join(tokenEndpointAuthMethods, ", "))
	}
	if o.MobileOverrideEnabled && !isURL(o.MobileRedirectURI) {
		v.add("oauth.mobileRedirectUri must be a URL address")
	}
}

// integer reads a whole number field.
func (v *validator) integer(b body, k string) (int, bool) {
	if !b.has(k) || b.isNull(k) {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal(b[k], &f); err != nil || f != float64(int(f)) {
		v.add("%s must be an integer number", k)
		return 0, false
	}
	return int(f), true
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// isURL is class-validator's IsUrl as Immich uses it for mobileRedirectUri:
// an absolute URL with a host.
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
