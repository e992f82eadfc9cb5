package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Sharing as Immich does it (issue 14): albums shared with other users of the
// instance as editor or viewer, one-way partners with "show in timeline",
// shared links for people without an account, and user search. Paths, bodies,
// status codes and messages follow @immich/sdk 3.2.2 and Immich's
// album.service.ts, partner.service.ts, shared-link.service.ts and
// utils/access.ts: a target the caller may not touch is 400 "Not found or no
// <permission> access", a missing user 400 "User not found", a bad or expired
// key 401 "Invalid share key". Everything lives inside this one instance: a
// user of another instance is, here, a user that does not exist.

// Album roles (AlbumUserRole).
const (
	roleEditor = "editor"
	roleViewer = "viewer"
	roleOwner  = "owner"
)

// Album is an album; AssetIDs may name assets that were deleted since (skipped when read).
type Album struct {
	ID                string      `json:"id"`
	OwnerID           string      `json:"ownerId"`
	Name              string      `json:"albumName"`
	Description       string      `json:"description"`
	Users             []AlbumUser `json:"albumUsers"`
	AssetIDs          []string    `json:"assetIds"`
	IsActivityEnabled bool        `json:"isActivityEnabled"`
	CreatedAt         time.Time   `json:"createdAt"`
	UpdatedAt         time.Time   `json:"updatedAt"`
}

// AlbumUser is another user an album is shared with.
type AlbumUser struct {
	UserID string `json:"userId"`
	Role   string `json:"role"`
}

// Partner: SharedByID's library is visible to SharedWithID (one way).
type Partner struct {
	SharedByID   string    `json:"sharedById"`
	SharedWithID string    `json:"sharedWithId"`
	InTimeline   bool      `json:"inTimeline"`
	CreatedAt    time.Time `json:"createdAt"`
}

// Shared link types (SharedLinkType).
const (
	linkAlbum      = "ALBUM"
	linkIndividual = "INDIVIDUAL"
)

// SharedLink is a link usable without an account. Immich keeps the password
// in clear; the stand-in keeps only a PBKDF2 hash of it.
type SharedLink struct {
	ID            string     `json:"id"`
	UserID        string     `json:"userId"`
	Key           string     `json:"key"`
	Slug          *string    `json:"slug"`
	Type          string     `json:"type"`
	AlbumID       string     `json:"albumId,omitempty"`
	AssetIDs      []string   `json:"assetIds,omitempty"`
	Description   *string    `json:"description"`
	ExpiresAt     *time.Time `json:"expiresAt"`
	PasswordHash  string     `json:"passwordHash,omitempty"`
	AllowUpload   bool       `json:"allowUpload"`
	AllowDownload bool       `json:"allowDownload"`
	ShowMetadata  bool       `json:"showMetadata"`
	CreatedAt     time.Time  `json:"createdAt"`
}

const cookieSharedLinkToken = "immich_shared_link_token"

func (s *Server) sharingRoutes() {
	s.handle("GET /api/users", needs("user.read"), s.searchUsers)

	s.handle("GET /api/albums", needs("album.read"), s.getAllAlbums)
	s.handle("POST /api/albums", needs("album.create"), s.createAlbum)
	s.handle("GET /api/albums/{id}", sharedNeeds("album.read"), s.getAlbumInfo)
	s.handle("DELETE /api/albums/{id}", needs("album.delete"), s.deleteAlbum)
	s.handle("PUT /api/albums/{id}/assets", sharedNeeds("albumAsset.create"), s.addAssetsToAlbum)
	s.handle("DELETE /api/albums/{id}/assets", needs("albumAsset.delete"), s.removeAssetsFromAlbum)
	s.handle("PUT /api/albums/{id}/users", needs("albumUser.create"), s.addUsersToAlbum)
	s.handle("PUT /api/albums/{id}/user/{userId}", needs("albumUser.update"), s.updateAlbumUser)
	s.handle("DELETE /api/albums/{id}/user/{userId}", needs("albumUser.delete"), s.removeUserFromAlbum)

	s.handle("GET /api/partners", needs("partner.read"), s.getPartners)
	s.handle("POST /api/partners", needs("partner.create"), s.createPartner)
	s.handle("PUT /api/partners/{id}", needs("partner.update"), s.updatePartner)
	s.handle("DELETE /api/partners/{id}", needs("partner.delete"), s.removePartner)

	s.handle("GET /api/timeline/buckets", sharedNeeds("timeline.read"), s.getTimeBuckets)

	s.handle("GET /api/shared-links", needs("sharedLink.read"), s.getAllSharedLinks)
	s.handle("POST /api/shared-links", needs("sharedLink.create"), s.createSharedLink)
	s.handle("GET /api/shared-links/me", sharedLinkOnly, s.getMySharedLink)
	s.handle("POST /api/shared-links/login", sharedLinkOnly, s.sharedLinkLogin)
	s.handle("GET /api/shared-links/{id}", needs("sharedLink.read"), s.getSharedLinkByID)
	s.handle("PATCH /api/shared-links/{id}", needs("sharedLink.update"), s.updateSharedLink)
	s.handle("DELETE /api/shared-links/{id}", needs("sharedLink.delete"), s.removeSharedLink)

	// The web app's public page for a link (Immich's /share/:key and /s/:slug).
	s.mux.HandleFunc("GET /share/{key}", s.sharePage)
	s.mux.HandleFunc("POST /share/{key}", s.sharePage)
	s.mux.HandleFunc("GET /s/{slug}", s.sharePage)
	s.mux.HandleFunc("POST /s/{slug}", s.sharePage)
}

// --- lookups and access (call with the lock held) ---

func (st *State) albumByID(id string) *Album {
	for _, al := range st.Albums {
		if al.ID == id {
			return al
		}
	}
	return nil
}

func (st *State) partner(sharedByID, sharedWithID string) *Partner {
	for _, p := range st.Partners {
		if p.SharedByID == sharedByID && p.SharedWithID == sharedWithID {
			return p
		}
	}
	return nil
}

func (st *State) sharedLinkByID(id string) *SharedLink {
	for _, l := range st.SharedLinks {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// sharedLinkByKey finds a link by key or slug, in constant time per link.
func (st *State) sharedLinkByKey(key, slug string) *SharedLink {
	for _, l := range st.SharedLinks {
		if key != "" && subtle.ConstantTimeCompare([]byte(l.Key), []byte(key)) == 1 {
			return l
		}
		if slug != "" && l.Slug != nil && *l.Slug == slug {
			return l
		}
	}
	return nil
}

// activeUser: a user that exists here and is not deleted.
func (st *State) activeUser(id string) *User {
	u := st.userByID(id)
	if u == nil || u.DeletedAt != nil {
		return nil
	}
	return u
}

func (al *Album) role(userID string) string {
	if al.OwnerID == userID {
		return roleOwner
	}
	for _, au := range al.Users {
		if au.UserID == userID {
			return au.Role
		}
	}
	return ""
}

func (al *Album) hasAsset(id string) bool { return slices.Contains(al.AssetIDs, id) }

func accessDenied(permission string) error {
	return badRequest("Not found or no " + permission + " access")
}

// albumFor is an album the caller may act on with permission (Immich's access checks):
// read: owner, album users, a link to the album; albumAsset.create: owner, editors, an
// upload link to the album; album.share: owner and editors; album.delete: owner.
func albumFor(st *State, a *Auth, id, permission string) (*Album, error) {
	al := st.albumByID(id)
	if al == nil {
		return nil, accessDenied(permission)
	}
	if link := a.SharedLink; link != nil {
		ok := link.Type == linkAlbum && link.AlbumID == al.ID &&
			(permission == "album.read" || (permission == "albumAsset.create" && link.AllowUpload))
		if !ok {
			return nil, accessDenied(permission)
		}
		return al, nil
	}
	role := al.role(a.UserID)
	switch permission {
	case "album.read", "album.download":
		if role != "" {
			return al, nil
		}
	case "albumAsset.create", "albumAsset.delete", "album.share":
		if role == roleOwner || role == roleEditor {
			return al, nil
		}
	default:
		if role == roleOwner {
			return al, nil
		}
	}
	return nil, accessDenied(permission)
}

// visibleInTimeline: not trashed, not archived, hidden or locked.
func visibleInTimeline(as *Asset) bool { return as.DeletedAt == nil && as.Visibility == "timeline" }

// canReadAsset follows Immich's asset.read chain: owner; an album the user is in
// (trashed assets excluded); a partner who shares with them (timeline assets only);
// for a link visitor, what the link or its album holds.
func canReadAsset(st *State, a *Auth, as *Asset) bool {
	if link := a.SharedLink; link != nil {
		if as.DeletedAt != nil {
			return false
		}
		if link.Type == linkIndividual {
			return slices.Contains(link.AssetIDs, as.ID)
		}
		al := st.albumByID(link.AlbumID)
		return al != nil && al.hasAsset(as.ID)
	}
	if as.OwnerID == a.UserID {
		return true
	}
	if as.DeletedAt != nil {
		return false
	}
	for _, al := range st.Albums {
		if al.hasAsset(as.ID) && al.role(a.UserID) != "" {
			return true
		}
	}
	return visibleInTimeline(as) && st.partner(as.OwnerID, a.UserID) != nil
}

// canShareAsset: owner or partner (asset.share), never a link visitor.
func canShareAsset(st *State, a *Auth, as *Asset) bool {
	if a.SharedLink != nil {
		return false
	}
	return as.OwnerID == a.UserID || (visibleInTimeline(as) && st.partner(as.OwnerID, a.UserID) != nil)
}

// readableAsset replaces the owner-only check of the asset routes.
func readableAsset(st *State, a *Auth, id, permission string) (*Asset, error) {
	as := st.assetByID(id)
	if as == nil || !canReadAsset(st, a, as) {
		return nil, accessDenied(permission)
	}
	if permission == "asset.download" && a.SharedLink != nil && !a.SharedLink.AllowDownload {
		return nil, accessDenied(permission)
	}
	return as, nil
}

// --- shared-link authentication ---

// linkToken is what the login cookie holds: it changes when the password does.
func linkToken(l *SharedLink) string {
	return sha256Hex("shared-link-token\x00" + l.ID + "\x00" + l.PasswordHash)
}

func linkTokenValid(r *http.Request, l *SharedLink) bool {
	got := cookieValue(r, cookieSharedLinkToken)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(linkToken(l))) == 1
}

func linkExpired(l *SharedLink, now time.Time) bool {
	return l.ExpiresAt != nil && !l.ExpiresAt.After(now)
}

// shareKey is the key or slug of a request (x-immich-share-key, ?key=, ?slug=).
func shareKey(r *http.Request) (key, slug string) {
	return firstNonEmpty(r.Header.Get("x-immich-share-key"), r.URL.Query().Get("key")), r.URL.Query().Get("slug")
}

// authenticateSharedLink is Immich's validateSharedLink: an unknown or expired key is
// 401 "Invalid share key". Routes other than /me and /login also need the password
// cookie of a protected link.
func (s *Server) authenticateSharedLink(r *http.Request, key, slug string, needToken bool) (*Auth, error) {
	a := &Auth{}
	err := s.store.view(func(st *State) error {
		l := st.sharedLinkByKey(key, slug)
		if l == nil || linkExpired(l, nowUTC()) {
			return unauthorized("Invalid share key")
		}
		owner := st.activeUser(l.UserID)
		if owner == nil {
			return unauthorized("Invalid share key")
		}
		if needToken && l.PasswordHash != "" && !linkTokenValid(r, l) {
			return unauthorized("Invalid password")
		}
		lc := *l
		a.UserID, a.SharedLink = owner.ID, &lc
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// --- users ---

// searchUsers: every user of this instance when publicUsers is on (Immich's default),
// else only the caller.
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request, a *Auth) error {
	out := []userDTO{}
	_ = s.store.view(func(st *State) error {
		for _, u := range st.Users {
			if u.DeletedAt == nil && (st.Config.PublicUsers || u.ID == a.UserID) {
				out = append(out, mapUser(u))
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- albums ---

type albumUserDTO struct {
	Role string  `json:"role"`
	User userDTO `json:"user"`
}

// AlbumResponseDto
type albumDTO struct {
	AlbumName             string         `json:"albumName"`
	AlbumThumbnailAssetID *string        `json:"albumThumbnailAssetId"`
	AlbumUsers            []albumUserDTO `json:"albumUsers"`
	AssetCount            int            `json:"assetCount"`
	CreatedAt             string         `json:"createdAt"`
	Description           string         `json:"description"`
	HasSharedLink         bool           `json:"hasSharedLink"`
	ID                    string         `json:"id"`
	IsActivityEnabled     bool           `json:"isActivityEnabled"`
	Order                 string         `json:"order"`
	Shared                bool           `json:"shared"`
	UpdatedAt             string         `json:"updatedAt"`
}

// mapAlbum: the owner first, then the caller, then the rest by name (as the DTO says).
func mapAlbum(st *State, al *Album, callerID string) albumDTO {
	users := []albumUserDTO{}
	if o := st.userByID(al.OwnerID); o != nil {
		users = append(users, albumUserDTO{Role: roleOwner, User: mapUser(o)})
	}
	rest := []albumUserDTO{}
	for _, au := range al.Users {
		u := st.activeUser(au.UserID)
		if u == nil {
			continue
		}
		dto := albumUserDTO{Role: au.Role, User: mapUser(u)}
		if u.ID == callerID {
			users = append(users, dto)
		} else {
			rest = append(rest, dto)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].User.Name < rest[j].User.Name })
	users = append(users, rest...)
	count := 0
	var thumb *string
	for _, id := range al.AssetIDs {
		if as := st.assetByID(id); as != nil && as.DeletedAt == nil {
			count++
			if thumb == nil {
				t := as.ID
				thumb = &t
			}
		}
	}
	hasLink := false
	for _, l := range st.SharedLinks {
		if l.Type == linkAlbum && l.AlbumID == al.ID {
			hasLink = true
		}
	}
	return albumDTO{
		AlbumName: al.Name, AlbumThumbnailAssetID: thumb, AlbumUsers: users, AssetCount: count,
		CreatedAt: iso(al.CreatedAt), Description: al.Description, HasSharedLink: hasLink, ID: al.ID,
		IsActivityEnabled: al.IsActivityEnabled, Order: "desc", Shared: len(al.Users) > 0, UpdatedAt: iso(al.UpdatedAt),
	}
}

func parseRole(v *validator, raw json.RawMessage, field string, required bool) string {
	if raw == nil {
		if required {
			v.add("%s must be one of the following values: editor, viewer", field)
		}
		return roleEditor // AlbumUserAddDto's default
	}
	var role string
	if err := json.Unmarshal(raw, &role); err != nil || (role != roleEditor && role != roleViewer) {
		v.add("%s must be one of the following values: editor, viewer", field)
	}
	return role
}

type albumUserInput struct{ userID, role string }

// parseAlbumUsers reads [{userId, role}] (AlbumUserCreateDto / AlbumUserAddDto).
func parseAlbumUsers(v *validator, raw json.RawMessage, field string, roleRequired bool) []albumUserInput {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		v.add("%s must be an array", field)
		return nil
	}
	out := []albumUserInput{}
	for _, it := range items {
		var id string
		if err := json.Unmarshal(it["userId"], &id); err != nil || !isUUID(id) {
			v.add("%s.userId must be a UUID", field)
			continue
		}
		out = append(out, albumUserInput{userID: id, role: parseRole(v, it["role"], field+".role", roleRequired)})
	}
	return out
}

// parseIDs reads a list of UUIDs (BulkIdsDto.ids, assetIds).
func parseIDs(v *validator, b body, field string, required bool) []string {
	if !b.has(field) || b.isNull(field) {
		if required {
			v.add("%s must be an array", field)
		}
		return nil
	}
	var ids []string
	if err := json.Unmarshal(b[field], &ids); err != nil {
		v.add("%s must be an array", field)
		return nil
	}
	for _, id := range ids {
		if !isUUID(id) {
			v.add("each value in %s must be a UUID", field)
			return nil
		}
	}
	return ids
}

// addUsers is AlbumService.addUsers for one user: already there, the owner, unknown.
func addAlbumUser(st *State, al *Album, in albumUserInput) error {
	if al.role(in.userID) != "" && in.userID != al.OwnerID {
		return badRequest("User already added")
	}
	if in.userID == al.OwnerID {
		return badRequest("Cannot be shared with owner")
	}
	if st.activeUser(in.userID) == nil {
		return badRequest("User not found")
	}
	al.Users = append(al.Users, AlbumUser{UserID: in.userID, Role: in.role})
	return nil
}

func (s *Server) createAlbum(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	name, ok := v.str(b, "albumName")
	if !ok && !b.has("albumName") {
		v.add("albumName must be a string")
	}
	desc, _ := v.str(b, "description")
	var users []albumUserInput
	if b.has("albumUsers") && !b.isNull("albumUsers") {
		users = parseAlbumUsers(v, b["albumUsers"], "albumUsers", true)
	}
	assetIDs := parseIDs(v, b, "assetIds", false)
	if err := v.err(); err != nil {
		return err
	}
	var out albumDTO
	err = s.store.update(func(st *State) error {
		now := nowUTC()
		al := &Album{ID: newUUID(), OwnerID: a.UserID, Name: name, Description: desc, AssetIDs: []string{},
			IsActivityEnabled: true, CreatedAt: now, UpdatedAt: now}
		for _, in := range users {
			if err := addAlbumUser(st, al, in); err != nil {
				return err
			}
		}
		for _, id := range assetIDs {
			as := st.assetByID(id)
			if as == nil || !canShareAsset(st, a, as) {
				return accessDenied("asset.share")
			}
			if !al.hasAsset(id) {
				al.AssetIDs = append(al.AssetIDs, id)
			}
		}
		st.Albums = append(st.Albums, al)
		out = mapAlbum(st, al, a.UserID)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// getAllAlbums: owned and shared with the caller; ?shared=true only shared ones,
// ?shared=false only owned ones that are not shared (Immich's getAll).
func (s *Server) getAllAlbums(w http.ResponseWriter, r *http.Request, a *Auth) error {
	shared := r.URL.Query().Get("shared")
	out := []albumDTO{}
	_ = s.store.view(func(st *State) error {
		for _, al := range st.Albums {
			role := al.role(a.UserID)
			if role == "" {
				continue
			}
			isShared := len(al.Users) > 0
			if (shared == "true" && !isShared) || (shared == "false" && (isShared || role != roleOwner)) {
				continue
			}
			out = append(out, mapAlbum(st, al, a.UserID))
		}
		return nil
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getAlbumInfo(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	var out albumDTO
	err = s.store.view(func(st *State) error {
		al, err := albumFor(st, a, id, "album.read")
		if err != nil {
			return err
		}
		out = mapAlbum(st, al, a.UserID)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) deleteAlbum(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	err = s.store.update(func(st *State) error {
		if _, err := albumFor(st, a, id, "album.delete"); err != nil {
			return err
		}
		st.Albums = filter(st.Albums, func(al *Album) bool { return al.ID != id })
		st.SharedLinks = filter(st.SharedLinks, func(l *SharedLink) bool { return l.AlbumID != id })
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// BulkIdResponseDto
type bulkIDDTO struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Error   string `json:"error,omitempty"`
}

// addAssetsToAlbum: editors and the owner add assets they may share (their own or a
// partner's); a viewer is refused as a whole. Each id answers on its own.
func (s *Server) addAssetsToAlbum(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	ids := parseIDs(v, b, "ids", true)
	if err := v.err(); err != nil {
		return err
	}
	out := []bulkIDDTO{}
	err = s.store.update(func(st *State) error {
		al, err := albumFor(st, a, id, "albumAsset.create")
		if err != nil {
			return err
		}
		for _, assetID := range ids {
			as := st.assetByID(assetID)
			switch {
			case al.hasAsset(assetID):
				out = append(out, bulkIDDTO{ID: assetID, Error: "duplicate"})
			case as == nil || !(canShareAsset(st, a, as) || (a.SharedLink != nil && as.OwnerID == a.UserID)):
				out = append(out, bulkIDDTO{ID: assetID, Error: "no_permission"})
			default:
				al.AssetIDs = append(al.AssetIDs, assetID)
				al.UpdatedAt = nowUTC()
				out = append(out, bulkIDDTO{ID: assetID, Success: true})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) removeAssetsFromAlbum(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	ids := parseIDs(v, b, "ids", true)
	if err := v.err(); err != nil {
		return err
	}
	out := []bulkIDDTO{}
	err = s.store.update(func(st *State) error {
		al, err := albumFor(st, a, id, "albumAsset.delete")
		if err != nil {
			return err
		}
		for _, assetID := range ids {
			if !al.hasAsset(assetID) {
				out = append(out, bulkIDDTO{ID: assetID, Error: "not_found"})
				continue
			}
			al.AssetIDs = filter(al.AssetIDs, func(x string) bool { return x != assetID })
			al.UpdatedAt = nowUTC()
			out = append(out, bulkIDDTO{ID: assetID, Success: true})
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) addUsersToAlbum(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	if !b.has("albumUsers") {
		v.add("albumUsers must be an array")
	}
	users := parseAlbumUsers(v, b["albumUsers"], "albumUsers", false)
	if err := v.err(); err != nil {
		return err
	}
	var out albumDTO
	err = s.store.update(func(st *State) error {
		al, err := albumFor(st, a, id, "album.share")
		if err != nil {
			return err
		}
		for _, in := range users {
			if err := addAlbumUser(st, al, in); err != nil {
				return err
			}
		}
		al.UpdatedAt = nowUTC()
		out = mapAlbum(st, al, a.UserID)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// albumUserParam is the {userId} of a path, "me" meaning the caller.
func albumUserParam(r *http.Request, a *Auth) (string, error) {
	userID := r.PathValue("userId")
	if userID == "me" {
		return a.UserID, nil
	}
	if !isUUID(userID) {
		return "", badRequest([]string{"userId must be a UUID"})
	}
	return userID, nil
}

func (s *Server) updateAlbumUser(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	userID, err := albumUserParam(r, a)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	role := parseRole(v, b["role"], "role", true)
	if err := v.err(); err != nil {
		return err
	}
	err = s.store.update(func(st *State) error {
		al, err := albumFor(st, a, id, "album.share")
		if err != nil {
			return err
		}
		for i := range al.Users {
			if al.Users[i].UserID == userID {
				al.Users[i].Role = role
				return nil
			}
		}
		return badRequest("Album not shared with user")
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// removeUserFromAlbum: the owner (or an editor) removes anyone but the owner; anyone may leave.
func (s *Server) removeUserFromAlbum(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	userID, err := albumUserParam(r, a)
	if err != nil {
		return err
	}
	err = s.store.update(func(st *State) error {
		al, err := albumFor(st, a, id, "album.read")
		if err != nil {
			return err
		}
		if al.OwnerID == userID {
			return badRequest("Cannot remove album owner")
		}
		if al.role(userID) == "" {
			return badRequest("Album not shared with user")
		}
		if userID != a.UserID {
			if _, err := albumFor(st, a, id, "album.share"); err != nil {
				return err
			}
		}
		al.Users = filter(al.Users, func(au AlbumUser) bool { return au.UserID != userID })
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// --- partners ---

// PartnerResponseDto
type partnerDTO struct {
	userDTO
	InTimeline *bool `json:"inTimeline,omitempty"`
}

// getPartners: ?direction=shared-by lists those I share with, shared-with those who
// share with me (and whether I show them in my timeline).
func (s *Server) getPartners(w http.ResponseWriter, r *http.Request, a *Auth) error {
	direction := r.URL.Query().Get("direction")
	if direction != "shared-by" && direction != "shared-with" {
		return badRequest([]string{"direction must be one of the following values: shared-by, shared-with"})
	}
	out := []partnerDTO{}
	_ = s.store.view(func(st *State) error {
		for _, p := range st.Partners {
			var other string
			switch {
			case direction == "shared-by" && p.SharedByID == a.UserID:
				other = p.SharedWithID
			case direction == "shared-with" && p.SharedWithID == a.UserID:
				other = p.SharedByID
			default:
				continue
			}
			if u := st.activeUser(other); u != nil {
				in := p.InTimeline
				out = append(out, partnerDTO{userDTO: mapUser(u), InTimeline: &in})
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createPartner(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	id, _ := v.str(b, "sharedWithId")
	if !isUUID(id) {
		v.add("sharedWithId must be a UUID")
	}
	if err := v.err(); err != nil {
		return err
	}
	var out partnerDTO
	err = s.store.update(func(st *State) error {
		if st.partner(a.UserID, id) != nil {
			return badRequest("Partner already exists")
		}
		// Immich answers an unknown user with its database's foreign-key error; the
		// stand-in says so plainly, and the same way for anyone who is not here.
		u := st.activeUser(id)
		if u == nil || u.ID == a.UserID {
			return badRequest("User not found")
		}
		st.Partners = append(st.Partners, &Partner{SharedByID: a.UserID, SharedWithID: id, CreatedAt: nowUTC()})
		f := false
		out = partnerDTO{userDTO: mapUser(u), InTimeline: &f}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// updatePartner: {id} is the partner who shares with me; only I choose my timeline.
func (s *Server) updatePartner(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	in, ok := v.boolean(b, "inTimeline")
	if !ok && !b.has("inTimeline") {
		v.add("inTimeline must be a boolean value")
	}
	if err := v.err(); err != nil {
		return err
	}
	var out partnerDTO
	err = s.store.update(func(st *State) error {
		p := st.partner(id, a.UserID)
		if p == nil {
			return accessDenied("partner.update")
		}
		p.InTimeline = in
		u := st.activeUser(id)
		if u == nil {
			return accessDenied("partner.update")
		}
		out = partnerDTO{userDTO: mapUser(u), InTimeline: &in}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// removePartner: {id} is the one I share with; it ends at once.
func (s *Server) removePartner(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	err = s.store.update(func(st *State) error {
		if st.partner(a.UserID, id) == nil {
			return badRequest("Partner not found")
		}
		st.Partners = filter(st.Partners, func(p *Partner) bool { return !(p.SharedByID == a.UserID && p.SharedWithID == id) })
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// --- timeline ---

// TimeBucketsResponseDto
type timeBucketDTO struct {
	Count      int    `json:"count"`
	TimeBucket string `json:"timeBucket"`
}

// getTimeBuckets counts timeline assets per month: the caller's, plus with
// withPartners=true those of partners shown in the timeline; ?albumId= an album's;
// a link visitor the link's.
func (s *Server) getTimeBuckets(w http.ResponseWriter, r *http.Request, a *Auth) error {
	q := r.URL.Query()
	albumID := q.Get("albumId")
	if albumID != "" && !isUUID(albumID) {
		return badRequest([]string{"albumId must be a UUID"})
	}
	counts := map[string]int{}
	err := s.store.view(func(st *State) error {
		var include func(as *Asset) bool
		switch {
		case albumID != "":
			al, err := albumFor(st, a, albumID, "album.read")
			if err != nil {
				return err
			}
			include = func(as *Asset) bool { return al.hasAsset(as.ID) && as.DeletedAt == nil }
		case a.SharedLink != nil:
			include = func(as *Asset) bool { return canReadAsset(st, a, as) }
		default:
			users := map[string]bool{a.UserID: true}
			if q.Get("withPartners") == "true" {
				for _, p := range st.Partners {
					if p.SharedWithID == a.UserID && p.InTimeline {
						users[p.SharedByID] = true
					}
				}
			}
			include = func(as *Asset) bool { return users[as.OwnerID] && visibleInTimeline(as) }
		}
		for _, as := range st.Assets {
			if include(as) {
				counts[as.FileCreatedAt.UTC().Format("2006-01")+"-01"]++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	out := []timeBucketDTO{}
	for bucket, n := range counts {
		out = append(out, timeBucketDTO{Count: n, TimeBucket: bucket})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TimeBucket > out[j].TimeBucket })
	writeJSON(w, http.StatusOK, out)
	return nil
}

// --- shared links ---

// SharedLinkResponseDto. password is Immich's field; the stand-in keeps only a hash,
// so it answers a fixed mask when one is set.
type sharedLinkDTO struct {
	Album         *albumDTO  `json:"album,omitempty"`
	AllowDownload bool       `json:"allowDownload"`
	AllowUpload   bool       `json:"allowUpload"`
	Assets        []assetDTO `json:"assets"`
	CreatedAt     string     `json:"createdAt"`
	Description   *string    `json:"description"`
	ExpiresAt     *string    `json:"expiresAt"`
	ID            string     `json:"id"`
	Key           string     `json:"key"`
	Password      *string    `json:"password"`
	ShowMetadata  bool       `json:"showMetadata"`
	Slug          *string    `json:"slug"`
	Type          string     `json:"type"`
	UserID        string     `json:"userId"`
}

const passwordMask = "********"

// mapSharedLink: a visitor (forVisitor) gets assets without metadata when the link hides it.
func (s *Server) mapSharedLink(st *State, l *SharedLink, callerID string, forVisitor bool) sharedLinkDTO {
	dto := sharedLinkDTO{
		AllowDownload: l.AllowDownload, AllowUpload: l.AllowUpload, Assets: []assetDTO{}, CreatedAt: iso(l.CreatedAt),
		Description: l.Description, ExpiresAt: isoPtr(l.ExpiresAt), ID: l.ID, Key: l.Key, ShowMetadata: l.ShowMetadata,
		Slug: l.Slug, Type: l.Type, UserID: l.UserID,
	}
	if l.PasswordHash != "" {
		m := passwordMask
		dto.Password = &m
	}
	ids := l.AssetIDs
	if l.Type == linkAlbum {
		if al := st.albumByID(l.AlbumID); al != nil {
			a := mapAlbum(st, al, callerID)
			dto.Album = &a
			ids = al.AssetIDs
		}
	}
	for _, id := range ids {
		as := st.assetByID(id)
		if as == nil || as.DeletedAt != nil {
			continue
		}
		m := mapAsset(as, s.store.abs(as.OriginalPath), st.userByID(as.OwnerID))
		if forVisitor {
			m.OriginalPath, m.Owner = "", nil
			if !l.ShowMetadata {
				m = stripMetadata(m)
			}
		}
		dto.Assets = append(dto.Assets, m)
	}
	return dto
}

// stripMetadata keeps what Immich's mapAsset({stripMetadata: true}) keeps.
func stripMetadata(m assetDTO) assetDTO {
	return assetDTO{ID: m.ID, Type: m.Type, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, FileCreatedAt: m.FileCreatedAt,
		FileModifiedAt: m.FileModifiedAt, LocalDateTime: m.LocalDateTime, Duration: m.Duration, OwnerID: m.OwnerID,
		Visibility: m.Visibility, IsTrashed: m.IsTrashed, IsArchived: m.IsArchived, OriginalMimeType: m.OriginalMimeType}
}

// parseExpiry reads expiresAt: an ISO date or null.
func parseExpiry(v *validator, b body) (t *time.Time, present bool) {
	if !b.has("expiresAt") {
		return nil, false
	}
	if b.isNull("expiresAt") {
		return nil, true
	}
	var s string
	if err := json.Unmarshal(b["expiresAt"], &s); err != nil {
		v.add("expiresAt must be a Date instance")
		return nil, false
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		v.add("expiresAt must be a Date instance")
		return nil, false
	}
	parsed = parsed.UTC()
	return &parsed, true
}

// linkOptions are the fields SharedLinkCreateDto and SharedLinkEditDto share.
type linkOptions struct {
	description, slug, password          *string
	descSet, slugSet, passwordSet        bool
	expiresAt                            *time.Time
	expirySet                            bool
	allowUpload, allowDownload, showMeta bool
	uploadSet, downloadSet, showMetaSet  bool
}

func parseLinkOptions(v *validator, b body) linkOptions {
	var o linkOptions
	optStr := func(k string) (*string, bool) {
		if !b.has(k) {
			return nil, false
		}
		if b.isNull(k) {
			return nil, true
		}
		s, ok := v.str(b, k)
		if !ok {
			return nil, false
		}
		return &s, true
	}
	o.description, o.descSet = optStr("description")
	o.slug, o.slugSet = optStr("slug")
	o.password, o.passwordSet = optStr("password")
	o.expiresAt, o.expirySet = parseExpiry(v, b)
	o.allowUpload, o.uploadSet = v.boolean(b, "allowUpload")
	o.allowDownload, o.downloadSet = v.boolean(b, "allowDownload")
	o.showMeta, o.showMetaSet = v.boolean(b, "showMetadata")
	return o
}

// randomLinkKey: 50 random bytes, base64url (Immich's key).
func randomLinkKey() string {
	b := make([]byte, 50)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func slugTaken(st *State, slug string, except string) bool {
	for _, l := range st.SharedLinks {
		if l.ID != except && l.Slug != nil && *l.Slug == slug {
			return true
		}
	}
	return false
}

func (s *Server) createSharedLink(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	typ, _ := v.str(b, "type")
	if typ != linkAlbum && typ != linkIndividual {
		v.add("type must be one of the following values: ALBUM, INDIVIDUAL")
	}
	albumID, _ := v.str(b, "albumId")
	if albumID != "" && !isUUID(albumID) {
		v.add("albumId must be a UUID")
	}
	assetIDs := parseIDs(v, b, "assetIds", false)
	o := parseLinkOptions(v, b)
	if err := v.err(); err != nil {
		return err
	}
	var passwordHash string
	if o.password != nil && *o.password != "" {
		if passwordHash, err = hashPassword(*o.password); err != nil {
			return err
		}
	}
	var out sharedLinkDTO
	err = s.store.update(func(st *State) error {
		now := nowUTC()
		l := &SharedLink{ID: newUUID(), UserID: a.UserID, Key: randomLinkKey(), Type: typ, PasswordHash: passwordHash,
			Description: o.description, ExpiresAt: o.expiresAt, CreatedAt: now,
			AllowUpload: o.allowUpload, AllowDownload: true, ShowMetadata: true}
		if o.downloadSet {
			l.AllowDownload = o.allowDownload
		}
		if o.showMetaSet {
			l.ShowMetadata = o.showMeta
		}
		// As in Immich: without metadata there is no download (an original carries its EXIF).
		if !l.ShowMetadata {
			l.AllowDownload = false
		}
		if o.slug != nil && *o.slug != "" {
			if slugTaken(st, *o.slug, "") {
				return badRequest("Shared link with this slug already exists")
			}
			l.Slug = o.slug
		}
		switch typ {
		case linkAlbum:
			if albumID == "" {
				return badRequest("Invalid albumId")
			}
			if _, err := albumFor(st, a, albumID, "album.share"); err != nil {
				return err
			}
			l.AlbumID = albumID
		case linkIndividual:
			if len(assetIDs) == 0 {
				return badRequest("Invalid assetIds")
			}
			for _, id := range assetIDs {
				as := st.assetByID(id)
				if as == nil || !canShareAsset(st, a, as) {
					return accessDenied("asset.share")
				}
			}
			l.AssetIDs = slices.Compact(slices.Sorted(slices.Values(assetIDs)))
		}
		st.SharedLinks = append(st.SharedLinks, l)
		out = s.mapSharedLink(st, l, a.UserID, false)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) getAllSharedLinks(w http.ResponseWriter, r *http.Request, a *Auth) error {
	albumID := r.URL.Query().Get("albumId")
	out := []sharedLinkDTO{}
	_ = s.store.view(func(st *State) error {
		for _, l := range st.SharedLinks {
			if l.UserID == a.UserID && (albumID == "" || l.AlbumID == albumID) {
				out = append(out, s.mapSharedLink(st, l, a.UserID, false))
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ownLink: another user's link reads as missing (Immich's findOrFail by user).
func ownLink(st *State, a *Auth, id string) (*SharedLink, error) {
	l := st.sharedLinkByID(id)
	if l == nil || l.UserID != a.UserID {
		return nil, badRequest("Shared link not found")
	}
	return l, nil
}

func (s *Server) getSharedLinkByID(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	var out sharedLinkDTO
	err = s.store.view(func(st *State) error {
		l, err := ownLink(st, a, id)
		if err == nil {
			out = s.mapSharedLink(st, l, a.UserID, false)
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) updateSharedLink(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	o := parseLinkOptions(v, b)
	if err := v.err(); err != nil {
		return err
	}
	var passwordHash string
	if o.passwordSet && o.password != nil && *o.password != "" {
		if passwordHash, err = hashPassword(*o.password); err != nil {
			return err
		}
	}
	var out sharedLinkDTO
	err = s.store.update(func(st *State) error {
		l, err := ownLink(st, a, id)
		if err != nil {
			return err
		}
		if o.slugSet && o.slug != nil && *o.slug != "" && slugTaken(st, *o.slug, l.ID) {
			return badRequest("Shared link with this slug already exists")
		}
		if o.descSet {
			l.Description = o.description
		}
		if o.slugSet {
			l.Slug = o.slug
			if o.slug != nil && *o.slug == "" {
				l.Slug = nil
			}
		}
		if o.passwordSet {
			l.PasswordHash = passwordHash
		}
		if o.expirySet {
			l.ExpiresAt = o.expiresAt
		}
		if o.uploadSet {
			l.AllowUpload = o.allowUpload
		}
		if o.downloadSet {
			l.AllowDownload = o.allowDownload
		}
		if o.showMetaSet {
			l.ShowMetadata = o.showMeta
		}
		if !l.ShowMetadata {
			l.AllowDownload = false
		}
		out = s.mapSharedLink(st, l, a.UserID, false)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) removeSharedLink(w http.ResponseWriter, r *http.Request, a *Auth) error {
	id, err := pathUUID(r)
	if err != nil {
		return err
	}
	err = s.store.update(func(st *State) error {
		if _, err := ownLink(st, a, id); err != nil {
			return err
		}
		st.SharedLinks = filter(st.SharedLinks, func(l *SharedLink) bool { return l.ID != id })
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getMySharedLink is what the public page loads: the link seen through its key. A
// protected link needs its cookie (POST /shared-links/login) or ?password=.
func (s *Server) getMySharedLink(w http.ResponseWriter, r *http.Request, a *Auth) error {
	var out sharedLinkDTO
	err := s.store.view(func(st *State) error {
		l := st.sharedLinkByID(a.SharedLink.ID)
		if l == nil {
			return unauthorized("Invalid share key")
		}
		if l.PasswordHash != "" && !linkTokenValid(r, l) {
			pw := r.URL.Query().Get("password")
			if pw == "" || !checkPassword(pw, l.PasswordHash) {
				return unauthorized("Invalid password")
			}
		}
		out = s.mapSharedLink(st, l, "", true)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// sharedLinkLogin checks {password} and sets the link's cookie.
func (s *Server) sharedLinkLogin(w http.ResponseWriter, r *http.Request, a *Auth) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	v := &validator{}
	pw := v.requiredStr(b, "password")
	if err := v.err(); err != nil {
		return err
	}
	var out sharedLinkDTO
	var token string
	err = s.store.view(func(st *State) error {
		l := st.sharedLinkByID(a.SharedLink.ID)
		if l == nil {
			return unauthorized("Invalid share key")
		}
		if l.PasswordHash != "" && !checkPassword(pw, l.PasswordHash) {
			return unauthorized("Invalid password")
		}
		token = linkToken(l)
		out = s.mapSharedLink(st, l, "", true)
		return nil
	})
	if err != nil {
		return err
	}
	setLinkCookie(w, r, token)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func setLinkCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: cookieSharedLinkToken, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
		MaxAge: 24 * 3600})
}
