package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"syscall"
)

// Immich version this stand-in answers as (the @immich/sdk it was written against).
const (
	versionMajor = 3
	versionMinor = 2
	versionPatch = 2
)

func (s *Server) routes() {
	// server
	s.handle("GET /api/server/ping", public, s.ping)
	s.handle("GET /api/server/version", public, s.version)
	s.handle("GET /api/server/config", public, s.serverConfig)
	s.handle("GET /api/server/features", public, s.serverFeatures)
	s.handle("GET /api/server/about", needs("server.about"), s.serverAbout)
	s.handle("GET /api/server/storage", needs("server.storage"), s.serverStorage)
	s.handle("GET /api/server/statistics", adminNeeds("server.statistics"), s.serverStatistics)

	// auth
	s.handle("POST /api/auth/admin-sign-up", public, s.adminSignUp)
	s.handle("POST /api/auth/login", public, s.login)
	s.handle("POST /api/auth/logout", needs(""), s.logout)
	s.handle("POST /api/auth/validateToken", needs(""), s.validateToken)
	s.handle("POST /api/auth/change-password", needs("auth.changePassword"), s.changePassword)

	// OAuth (oauth.go)
	s.handle("POST /api/oauth/authorize", public, s.startOAuth)
	s.handle("POST /api/oauth/callback", public, s.finishOAuth)
	s.handle("POST /api/oauth/link", needs("all"), s.linkOAuthAccount)
	s.handle("POST /api/oauth/unlink", needs("all"), s.unlinkOAuthAccount)
	s.handle("GET /api/oauth/mobile-redirect", public, s.redirectOAuthToMobile)
	s.handle("POST /api/oauth/backchannel-logout", public, s.logoutOAuth)

	// what Immich's clients call to find the API and to check before uploading
	s.handle("GET /.well-known/immich", public, s.wellKnown)
	s.handle("GET /api/server/media-types", public, s.mediaTypes)

	// the caller's own account
	s.handle("GET /api/users/me", needs("user.read"), s.getMyUser)
	s.handle("PUT /api/users/me", needs("user.update"), s.updateMyUser)
	s.handle("GET /api/users/{id}", needs("user.read"), s.getUser)

	// API keys
	s.handle("GET /api/api-keys", needs("apiKey.read"), s.listAPIKeys)
	s.handle("POST /api/api-keys", needs("apiKey.create"), s.createAPIKey)
	s.handle("GET /api/api-keys/me", needs(""), s.getMyAPIKey)
	s.handle("GET /api/api-keys/{id}", needs("apiKey.read"), s.getAPIKey)
	s.handle("PUT /api/api-keys/{id}", needs("apiKey.update"), s.updateAPIKey)
	s.handle("DELETE /api/api-keys/{id}", needs("apiKey.delete"), s.deleteAPIKey)

	// user administration
	s.handle("GET /api/admin/users", adminNeeds("adminUser.read"), s.searchUsersAdmin)
	s.handle("POST /api/admin/users", adminNeeds("adminUser.create"), s.createUserAdmin)
	s.handle("GET /api/admin/users/{id}", adminNeeds("adminUser.read"), s.getUserAdmin)
	s.handle("PUT /api/admin/users/{id}", adminNeeds("adminUser.update"), s.updateUserAdmin)
	s.handle("DELETE /api/admin/users/{id}", adminNeeds("adminUser.delete"), s.deleteUserAdmin)
	s.handle("POST /api/admin/users/{id}/restore", adminNeeds("adminUser.delete"), s.restoreUserAdmin)
	s.handle("GET /api/admin/users/{id}/statistics", adminNeeds("adminUser.read"), s.getUserStatisticsAdmin)

	// assets (assets.go)
	s.handle("POST /api/assets", sharedNeeds("asset.upload"), s.uploadAsset)
	s.handle("DELETE /api/assets", needs("asset.delete"), s.deleteAssets)
	s.handle("POST /api/assets/bulk-upload-check", needs("asset.upload"), s.checkBulkUpload)
	s.handle("GET /api/assets/statistics", needs("asset.statistics"), s.getAssetStatistics)
	s.handle("GET /api/assets/{id}", sharedNeeds("asset.read"), s.getAssetInfo)
	s.handle("GET /api/assets/{id}/original", sharedNeeds("asset.download"), s.downloadAsset)

	// jobs (jobs.go) and the part of the system config the stand-in keeps (sysconfig.go)
	s.handle("GET /api/jobs", adminNeeds("job.read"), s.getQueuesLegacy)
	s.handle("POST /api/jobs", adminNeeds("job.create"), s.createJob)
	s.handle("PUT /api/jobs/{name}", adminNeeds("job.create"), s.runQueueCommandLegacy)
	s.handle("GET /api/system-config", adminNeeds("systemConfig.read"), s.getSystemConfig)
	s.handle("PUT /api/system-config", adminNeeds("systemConfig.update"), s.updateSystemConfig)

	// the minimal web client (web.go)
	s.sharingRoutes()
	s.webRoutes()
}

// --- server ---

func (s *Server) passwordLoginEnabled() bool {
	var on bool
	_ = s.store.view(func(st *State) error { on = st.Config.PasswordLoginEnabled; return nil })
	return on
}

// GET /.well-known/immich: where Immich's mobile app and CLI find the API.
func (s *Server) wellKnown(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	writeJSON(w, http.StatusOK, map[string]any{"api": map[string]string{"endpoint": "/api"}})
	return nil
}

// GET /api/server/media-types -> ServerMediaTypesResponseDto. Like Immich
// (the keys of its mime-type tables) the lists hold file extensions.
func (s *Server) mediaTypes(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	writeJSON(w, http.StatusOK, map[string][]string{
		"image":   sortedKeys(imageExts),
		"video":   sortedKeys(videoExts),
		"sidecar": {".xmp"},
	})
	return nil
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	writeJSON(w, http.StatusOK, map[string]string{"res": "pong"})
	return nil
}

func (s *Server) version(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	writeJSON(w, http.StatusOK, map[string]any{"major": versionMajor, "minor": versionMinor, "patch": versionPatch, "prerelease": nil})
	return nil
}

func (s *Server) serverConfig(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	var initialized bool
	var cfg Config
	_ = s.store.view(func(st *State) error {
		initialized, cfg = st.admin() != nil, st.Config
		return nil
	})
	out := map[string]any{
		"externalDomain":   cfg.ExternalDomain,
		"isInitialized":    initialized,
		"isOnboarded":      initialized,
		"loginPageMessage": cfg.LoginPageMessage,
		"maintenanceMode":  false,
		"mapDarkStyleUrl":  "https://tiles.immich.cloud/v1/style/dark.json",
		"mapLightStyleUrl": "https://tiles.immich.cloud/v1/style/light.json",
		"minFaces":         3,
		"oauthButtonText":  cfg.OAuth.ButtonText,
		"publicUsers":      cfg.PublicUsers,
		"trashDays":        cfg.TrashDays,
		"userDeleteDelay":  cfg.UserDeleteDelayDays,
	}
	if cfg.OAuth.AccountManagementURL != "" {
		out["oauthAccountManagementUrl"] = cfg.OAuth.AccountManagementURL
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) serverFeatures(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	var c Config
	_ = s.store.view(func(st *State) error { c = st.Config; return nil })
	writeJSON(w, http.StatusOK, map[string]bool{
		"configFile": false, "duplicateDetection": false, "email": false, "facialRecognition": false,
		"importFaces": false, "map": false, "oauth": c.OAuth.Enabled, "oauthAutoLaunch": c.OAuth.AutoLaunch, "ocr": false,
		"passwordLogin": c.PasswordLoginEnabled, "realtimeTranscoding": false, "reverseGeocoding": false, "search": false,
		"sidecar": false, "smartSearch": false, "trash": c.TrashEnabled,
	})
	return nil
}

func (s *Server) serverAbout(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"licensed":   false,
		"version":    "v3.2.2",
		"versionUrl": "https://github.com/immich-app/immich/releases/tag/v3.2.2",
		"build":      "photo-app-standin",
	})
	return nil
}

func (s *Server) serverStorage(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(s.store.mediaRoot, &fs); err != nil {
		return err
	}
	size := int64(fs.Blocks) * int64(fs.Bsize)
	avail := int64(fs.Bavail) * int64(fs.Bsize)
	used := size - int64(fs.Bfree)*int64(fs.Bsize)
	pct := 0.0
	if size > 0 {
		pct = float64(int64(float64(used)/float64(size)*10000)) / 100
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"diskAvailable": humanBytes(avail), "diskAvailableRaw": avail,
		"diskSize": humanBytes(size), "diskSizeRaw": size,
		"diskUse": humanBytes(used), "diskUseRaw": used,
		"diskUsagePercentage": pct,
	})
	return nil
}

// serverStatistics follows Immich's getUserStats: active users only, trashed
// assets excluded, ordered by account creation.
func (s *Server) serverStatistics(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	var stats serverStatsDTO
	_ = s.store.view(func(st *State) error {
		users := slices.Clone(st.Users)
		sort.SliceStable(users, func(i, j int) bool { return users[i].CreatedAt.Before(users[j].CreatedAt) })
		stats.UsageByUser = []usageByUserDTO{}
		for _, u := range users {
			if u.DeletedAt != nil {
				continue
			}
			row := usageByUserDTO{UserID: u.ID, UserName: u.Name, QuotaSizeInBytes: u.QuotaSizeInBytes}
			for _, a := range st.Assets {
				if a.OwnerID != u.ID || a.DeletedAt != nil {
					continue
				}
				row.Usage += a.SizeInBytes
				switch a.Type {
				case "IMAGE":
					row.UsagePhotos += a.SizeInBytes
					if a.Visibility != "hidden" {
						row.Photos++
					}
				case "VIDEO":
					row.UsageVideos += a.SizeInBytes
					if a.Visibility != "hidden" {
						row.Videos++
					}
				}
			}
			stats.Photos += row.Photos
			stats.Videos += row.Videos
			stats.Usage += row.Usage
			stats.UsagePhotos += row.UsagePhotos
			stats.UsageVideos += row.UsageVideos
			stats.UsageByUser = append(stats.UsageByUser, row)
		}
		return nil
	})
	writeJSON(w, http.StatusOK, stats)
	return nil
}

// --- auth ---

func (s *Server) adminSignUp(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	email, _ := v.email(b, "email", true)
	password := v.requiredStr(b, "password")
	name := v.requiredStr(b, "name")
	if err := v.err(); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	var out userAdminDTO
	err = s.store.update(func(st *State) error {
		if st.admin() != nil {
			return badRequest("The server already has an admin")
		}
		label := "admin"
		u, err := st.createUser(newUserInput{email: email, name: name, passwordHash: hash, isAdmin: true, storageLabel: &label, shouldChangePassword: true})
		if err != nil {
			return err
		}
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	email, _ := v.email(b, "email", true)
	password := v.requiredStr(b, "password")
	if err := v.err(); err != nil {
		return err
	}
	if !s.passwordLoginEnabled() {
		return unauthorized("Password login has been disabled")
	}

	// Look the user up, then check the password outside the lock (PBKDF2 is slow).
	var user User
	found := false
	_ = s.store.view(func(st *State) error {
		// Deleted (or being removed) users cannot log in, as in Immich's getByEmail.
		if u := st.userByEmail(email); u != nil && u.DeletedAt == nil {
			user, found = *u, true
		}
		return nil
	})
	hash := dummyPasswordHash
	if found {
		hash = user.PasswordHash
	}
	if !checkPassword(password, hash) || !found || user.PasswordHash == "" {
		return unauthorized("Incorrect email or password")
	}

	token := randomToken()
	err = s.store.update(func(st *State) error {
		if u := st.userByID(user.ID); u == nil || u.DeletedAt != nil {
			return unauthorized("Incorrect email or password")
		}
		now := nowUTC()
		st.Sessions = append(st.Sessions, &Session{
			ID: newUUID(), UserID: user.ID, TokenHash: sha256Hex(token),
			DeviceType: r.UserAgent(), CreatedAt: now, UpdatedAt: now,
		})
		return nil
	})
	if err != nil {
		return err
	}
	setAuthCookies(w, r, token, "password")
	writeJSON(w, http.StatusCreated, mapLogin(&user, token))
	return nil
}

// logout ends the session; the answer's redirectUri is the provider's end
// session endpoint for a session signed in with OAuth, else Immich's login page.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, a *Auth) error {
	if a.SessionID != "" {
		err := s.store.update(func(st *State) error {
			st.Sessions = filter(st.Sessions, func(x *Session) bool { return x.ID != a.SessionID })
			return nil
		})
		if err != nil {
			return err
		}
	}
	redirectURI := loginURL
	if cookieValue(r, cookieAuthType) == "oauth" {
		var err error
		if redirectURI, err = s.logoutRedirect(r.Context()); err != nil {
			return err
		}
	}
	for _, name := range []string{cookieAccessToken, cookieAuthType, cookieIsAuthenticated} {
		clearCookie(w, r, name)
	}
	writeJSON(w, http.StatusOK, map[string]any{"successful": true, "redirectUri": redirectURI})
	return nil
}

func (s *Server) validateToken(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	writeJSON(w, http.StatusOK, map[string]bool{"authStatus": true})
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	password := v.requiredStr(b, "password")
	newPassword := v.requiredStr(b, "newPassword")
	invalidate, _ := v.boolean(b, "invalidateSessions")
	if len(newPassword) > 0 && len(newPassword) < 8 {
		v.add("newPassword must be longer than or equal to 8 characters")
	}
	if err := v.err(); err != nil {
		return err
	}
	var current string
	_ = s.store.view(func(st *State) error {
		if u := st.userByID(a.UserID); u != nil {
			current = u.PasswordHash
		}
		return nil
	})
	if !checkPassword(password, current) {
		return badRequest("Wrong password")
	}
	hash, err := hashPassword(newPassword)
	if err != nil {
		return err
	}
	var out userAdminDTO
	err = s.store.update(func(st *State) error {
		u := st.userByID(a.UserID)
		if u == nil {
			return unauthorized("Invalid user token")
		}
		u.PasswordHash, u.UpdatedAt = hash, nowUTC()
		if invalidate {
			st.Sessions = filter(st.Sessions, func(x *Session) bool { return x.UserID != u.ID || x.ID == a.SessionID })
		}
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- the caller's own account ---

func (s *Server) getMyUser(w http.ResponseWriter, r *http.Request, a *Auth) error {
	var out userAdminDTO
	err := s.store.view(func(st *State) error {
		u := st.userByID(a.UserID)
		if u == nil {
			return unauthorized("Invalid user token")
		}
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) updateMyUser(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	email, hasEmail := v.email(b, "email", false)
	name, hasName := v.str(b, "name")
	password, hasPassword := v.str(b, "password")
	color, hasColor := v.avatarColor(b)
	if hasName && name == "" {
		v.add("name should not be empty")
	}
	if err := v.err(); err != nil {
		return err
	}
	var hash string
	if hasPassword && password != "" {
		if hash, err = hashPassword(password); err != nil {
			return err
		}
	}
	var out userAdminDTO
	err = s.store.update(func(st *State) error {
		u := st.userByID(a.UserID)
		if u == nil {
			return unauthorized("Invalid user token")
		}
		if hasEmail {
			if d := st.userByEmail(email); d != nil && d.ID != u.ID {
				return badRequest("Email already in use by another account")
			}
			u.Email = email
		}
		if hasName {
			u.Name = name
		}
		if hasColor {
			u.AvatarColor = color
		}
		if hash != "" {
			u.PasswordHash, u.ShouldChangePassword = hash, false
		}
		u.UpdatedAt = nowUTC()
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id := r.PathValue("id")
	if !isUUID(id) {
		return badRequest([]string{"id must be a UUID"})
	}
	var out userDTO
	err := s.store.view(func(st *State) error {
		u := st.userByID(id)
		if u == nil || u.DeletedAt != nil {
			return notFound("User not found")
		}
		out = mapUser(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- API keys ---

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, a *Auth) error {
	out := []apiKeyDTO{}
	_ = s.store.view(func(st *State) error {
		for _, k := range st.APIKeys {
			if k.UserID == a.UserID {
				out = append(out, mapAPIKey(k))
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (v *validator) permissions(b body, required bool) ([]string, bool) {
	if !b.has("permissions") || b.isNull("permissions") {
		if required {
			v.add("permissions must contain at least 1 elements")
		}
		return nil, false
	}
	var perms []string
	if err := json.Unmarshal(b["permissions"], &perms); err != nil {
		v.add("each value in permissions must be one of the following values: all, ...")
		return nil, false
	}
	if len(perms) == 0 {
		v.add("permissions must contain at least 1 elements")
	}
	for _, p := range perms {
		if !knownPermissions[p] {
			v.add("each value in permissions must be one of the Permission enum values (got %q)", p)
			break
		}
	}
	return perms, true
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	name, _ := v.str(b, "name")
	perms, _ := v.permissions(b, true)
	if err := v.err(); err != nil {
		return err
	}
	if a.APIKey != nil && !isGranted(perms, a.APIKey.Permissions) {
		return badRequest("Cannot grant permissions you do not have")
	}
	if name == "" {
		name = "API Key"
	}
	secret := randomToken()
	now := nowUTC()
	k := &APIKey{ID: newUUID(), UserID: a.UserID, Name: name, KeyHash: sha256Hex(secret), Permissions: perms, CreatedAt: now, UpdatedAt: now}
	if err := s.store.update(func(st *State) error { st.APIKeys = append(st.APIKeys, k); return nil }); err != nil {
		return err
	}
	dto := mapAPIKey(k)
	writeJSON(w, http.StatusCreated, apiKeyCreateDTO{apiKeyDTO: dto, APIKey: dto, Secret: secret})
	return nil
}

func (s *Server) getMyAPIKey(w http.ResponseWriter, r *http.Request, a *Auth) error {
	if a.APIKey == nil {
		return forbidden("Not authenticated with an API Key")
	}
	writeJSON(w, http.StatusOK, mapAPIKey(a.APIKey))
	return nil
}

// withOwnKey finds one of the caller's keys or answers Immich's "API Key not found".
func (s *Server) withOwnKey(r *http.Request, a *Auth, mutate bool, fn func(st *State, k *APIKey) error) error {
	id := r.PathValue("id")
	if !isUUID(id) {
		return badRequest([]string{"id must be a UUID"})
	}
	run := s.store.view
	if mutate {
		run = s.store.update
	}
	return run(func(st *State) error {
		for _, k := range st.APIKeys {
			if k.ID == id && k.UserID == a.UserID {
				return fn(st, k)
			}
		}
		return badRequest("API Key not found")
	})
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request, a *Auth) error {
	var out apiKeyDTO
	if err := s.withOwnKey(r, a, false, func(_ *State, k *APIKey) error { out = mapAPIKey(k); return nil }); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) updateAPIKey(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	name, hasName := v.str(b, "name")
	perms, hasPerms := v.permissions(b, false)
	if err := v.err(); err != nil {
		return err
	}
	if hasPerms && a.APIKey != nil && !isGranted(perms, a.APIKey.Permissions) {
		return badRequest("Cannot grant permissions you do not have")
	}
	var out apiKeyDTO
	err = s.withOwnKey(r, a, true, func(_ *State, k *APIKey) error {
		if hasName {
			k.Name = name
		}
		if hasPerms {
			k.Permissions = perms
		}
		k.UpdatedAt = nowUTC()
		out = mapAPIKey(k)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request, a *Auth) error {
	err := s.withOwnKey(r, a, true, func(st *State, k *APIKey) error {
		st.APIKeys = filter(st.APIKeys, func(x *APIKey) bool { return x.ID != k.ID })
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- user administration ---

type newUserInput struct {
	email, name          string
	oauthID              string
	passwordHash         string // hashed before the lock is taken: PBKDF2 is slow on purpose
	isAdmin              bool
	avatarColor          string
	quota                *int64
	storageLabel         *string
	shouldChangePassword bool
}

// createUser follows Immich's BaseService.createUser (call with the lock held).
func (st *State) createUser(in newUserInput) (*User, error) {
	if st.userByEmail(in.email) != nil {
		return nil, badRequest("User exists")
	}
	if !in.isAdmin && st.admin() == nil {
		return nil, badRequest("The first registered account must the administrator.")
	}
	label := cleanStorageLabel(in.storageLabel)
	if label != nil && st.userByStorageLabel(*label) != nil {
		return nil, badRequest("Storage label already in use by another account")
	}
	now := nowUTC()
	u := &User{
		ID: newUUID(), Email: in.email, Name: in.name, PasswordHash: in.passwordHash, IsAdmin: in.isAdmin,
		AvatarColor: in.avatarColor, QuotaSizeInBytes: in.quota, StorageLabel: label,
		ShouldChangePassword: in.shouldChangePassword, Status: statusActive, ClusterGroupID: newUUID(), OAuthID: in.oauthID,
		CreatedAt: now, UpdatedAt: now, ProfileChangedAt: now,
	}
	st.Users = append(st.Users, u)
	return u, nil
}

// cleanStorageLabel: "" means none; dots and path-unsafe characters are
// removed, like Immich's sanitize(label.replaceAll('.', ”)).
func cleanStorageLabel(label *string) *string {
	if label == nil {
		return nil
	}
	clean := strings.Map(func(r rune) rune {
		if r == '.' || r == '/' || r == '\\' || r == ':' || r == '*' || r == '?' || r == '"' || r == '<' || r == '>' || r == '|' || r < 0x20 {
			return -1
		}
		return r
	}, *label)
	if clean == "" {
		return nil
	}
	return &clean
}

func (v *validator) avatarColor(b body) (string, bool) {
	c, ok := v.str(b, "avatarColor")
	if ok && !slices.Contains(avatarColors, c) {
		v.add("avatarColor must be one of the following values: %s", strings.Join(avatarColors, ", "))
		return "", false
	}
	return c, ok
}

func (s *Server) searchUsersAdmin(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	q := r.URL.Query()
	withDeleted := q.Get("withDeleted") == "true"
	id := q.Get("id")
	out := []userAdminDTO{}
	_ = s.store.view(func(st *State) error {
		users := slices.Clone(st.Users)
		sort.SliceStable(users, func(i, j int) bool { return users[i].CreatedAt.After(users[j].CreatedAt) })
		for _, u := range users {
			if (u.DeletedAt != nil && !withDeleted) || (id != "" && u.ID != id) {
				continue
			}
			out = append(out, mapUserAdmin(u))
		}
		return nil
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createUserAdmin(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	in := newUserInput{shouldChangePassword: true}
	in.email, _ = v.email(b, "email", true)
	in.name = v.requiredStr(b, "name")
	password, _ := v.str(b, "password")
	in.isAdmin, _ = v.boolean(b, "isAdmin")
	in.avatarColor, _ = v.avatarColor(b)
	in.quota, _ = v.quota(b, "quotaSizeInBytes")
	if label, ok := v.str(b, "storageLabel"); ok {
		in.storageLabel = &label
	}
	if scp, ok := v.boolean(b, "shouldChangePassword"); ok {
		in.shouldChangePassword = scp
	}
	v.boolean(b, "notify") // accepted; the stand-in sends no e-mail
	if err := v.err(); err != nil {
		return err
	}
	if password == "" {
		return badRequest("password is required")
	}
	if in.passwordHash, err = hashPassword(password); err != nil {
		return err
	}
	var out userAdminDTO
	err = s.store.update(func(st *State) error {
		u, err := st.createUser(in)
		if err != nil {
			return err
		}
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// findUser is Immich's findOrFail: unknown (or deleted, unless withDeleted) -> 400 "User not found".
func findUser(st *State, id string, withDeleted bool) (*User, error) {
	u := st.userByID(id)
	if u == nil || (u.DeletedAt != nil && !withDeleted) {
		return nil, badRequest("User not found")
	}
	return u, nil
}

func pathUUID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !isUUID(id) {
		return "", badRequest([]string{"id must be a UUID"})
	}
	return id, nil
}

func (s *Server) getUserAdmin(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	var out userAdminDTO
	err = s.store.view(func(st *State) error {
		u, err := findUser(st, id, true)
		if err != nil {
			return err
		}
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) updateUserAdmin(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	email, hasEmail := v.email(b, "email", false)
	name, hasName := v.str(b, "name")
	password, hasPassword := v.str(b, "password")
	isAdmin, hasIsAdmin := v.boolean(b, "isAdmin")
	color, hasColor := v.avatarColor(b)
	quota, hasQuota := v.quota(b, "quotaSizeInBytes")
	scp, hasSCP := v.boolean(b, "shouldChangePassword")
	label, hasLabel := v.str(b, "storageLabel")
	hasLabel = hasLabel || b.isNull("storageLabel")
	if hasName && name == "" {
		v.add("name should not be empty")
	}
	if err := v.err(); err != nil {
		return err
	}
	var hash string
	if hasPassword && password != "" {
		if hash, err = hashPassword(password); err != nil {
			return err
		}
	}

	var out userAdminDTO
	err = s.store.update(func(st *State) error {
		u, err := findUser(st, id, false)
		if err != nil {
			return err
		}
		if hasIsAdmin && isAdmin != a.IsAdmin && a.UserID == id {
			return badRequest("Admin status can only be changed by another admin")
		}
		if hasEmail {
			if d := st.userByEmail(email); d != nil && d.ID != id {
				return badRequest("Email already in use by another account")
			}
		}
		newLabel := cleanStorageLabel(&label)
		if hasLabel && newLabel != nil {
			if d := st.userByStorageLabel(*newLabel); d != nil && d.ID != id {
				return badRequest("Storage label already in use by another account")
			}
		}
		// All checks passed: apply everything at once.
		if hasEmail {
			u.Email = email
		}
		if hasName {
			u.Name = name
		}
		if hash != "" {
			u.PasswordHash = hash
		}
		if hasIsAdmin {
			u.IsAdmin = isAdmin
		}
		if hasColor {
			u.AvatarColor = color
		}
		if hasQuota {
			u.QuotaSizeInBytes = quota
		}
		if hasSCP {
			u.ShouldChangePassword = scp
		}
		if hasLabel {
			u.StorageLabel = newLabel // files move when the storage template migration job runs
		}
		u.UpdatedAt = nowUTC()
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// deleteUserAdmin: soft delete -> status "deleted" (purged later by the
// user-cleanup job); force -> status "removing", and the user, their assets
// and their files are removed straight away (Immich queues that as a job).
func (s *Server) deleteUserAdmin(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	force, _ := v.boolean(b, "force")
	if err := v.err(); err != nil {
		return err
	}
	var out userAdminDTO
	var victim User
	err = s.store.update(func(st *State) error {
		u, err := findUser(st, id, false)
		if err != nil {
			return err
		}
		if a.UserID == id {
			return forbidden("Cannot delete your own account")
		}
		now := nowUTC()
		u.DeletedAt, u.UpdatedAt = &now, now
		u.Status = statusDeleted
		if force {
			u.Status = statusRemoving
		}
		out = mapUserAdmin(u)
		victim = *u
		return nil
	})
	if err != nil {
		return err
	}
	if force {
		if err := s.purgeUser(victim.ID); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) restoreUserAdmin(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	var out userAdminDTO
	err = s.store.update(func(st *State) error {
		u, err := findUser(st, id, true)
		if err != nil {
			return err
		}
		if u.Status == statusRemoving {
			return badRequest("User not found")
		}
		u.DeletedAt, u.Status, u.UpdatedAt = nil, statusActive, nowUTC()
		out = mapUserAdmin(u)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getUserStatisticsAdmin(w http.ResponseWriter, r *http.Request, _ *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.assetStats(id, r))
	return nil
}

func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") + " " + units[i]
}
