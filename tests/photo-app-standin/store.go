package main

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// User statuses, as in Immich's UserStatus enum.
const (
	statusActive   = "active"
	statusRemoving = "removing"
	statusDeleted  = "deleted"
)

// User is one account of the instance. Field names follow Immich's user table.
type User struct {
	ID                   string     `json:"id"`
	Email                string     `json:"email"`
	Name                 string     `json:"name"`
	PasswordHash         string     `json:"passwordHash"`
	IsAdmin              bool       `json:"isAdmin"`
	AvatarColor          string     `json:"avatarColor,omitempty"`
	QuotaSizeInBytes     *int64     `json:"quotaSizeInBytes"`
	QuotaUsageInBytes    int64      `json:"quotaUsageInBytes"`
	StorageLabel         *string    `json:"storageLabel"`
	ShouldChangePassword bool       `json:"shouldChangePassword"`
	Status               string     `json:"status"`
	ClusterGroupID       string     `json:"clusterGroupId"`
	CreatedAt            time.Time  `json:"createdAt"`
	UpdatedAt            time.Time  `json:"updatedAt"`
	ProfileChangedAt     time.Time  `json:"profileChangedAt"`
	DeletedAt            *time.Time `json:"deletedAt"`
	OAuthID              string     `json:"oauthId"` // the provider's sub, "" when not linked
}

// Session is a login (an access token); only the token's sha256 is kept.
type Session struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId"`
	TokenHash  string    `json:"tokenHash"`
	DeviceType string    `json:"deviceType"`
	DeviceOS   string    `json:"deviceOS"`
	OAuthSid   string    `json:"oauthSid,omitempty"` // sid of the ID token that created it
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// APIKey is a personal API key; only the secret's sha256 is kept.
type APIKey struct {
	ID          string    `json:"id"`
	UserID      string    `json:"userId"`
	Name        string    `json:"name"`
	KeyHash     string    `json:"keyHash"`
	Permissions []string  `json:"permissions"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Asset is one uploaded file. OriginalPath is relative to the media location.
type Asset struct {
	ID               string     `json:"id"`
	OwnerID          string     `json:"ownerId"`
	DeviceAssetID    string     `json:"deviceAssetId,omitempty"`
	DeviceID         string     `json:"deviceId,omitempty"`
	Type             string     `json:"type"`
	OriginalPath     string     `json:"originalPath"`
	OriginalFileName string     `json:"originalFileName"`
	MimeType         string     `json:"mimeType"`
	Checksum         string     `json:"checksum"` // sha1, hex
	SizeInBytes      int64      `json:"sizeInBytes"`
	IsFavorite       bool       `json:"isFavorite"`
	Visibility       string     `json:"visibility"`
	Duration         *float64   `json:"duration,omitempty"`
	FileCreatedAt    time.Time  `json:"fileCreatedAt"`
	FileModifiedAt   time.Time  `json:"fileModifiedAt"`
	CreatedAt        time.Time  `json:"createdAt"`
	UpdatedAt        time.Time  `json:"updatedAt"`
	DeletedAt        *time.Time `json:"deletedAt"` // set while in the trash
}

// Config is the part of Immich's system config the stand-in honours.
type Config struct {
	UserDeleteDelayDays     int    `json:"userDeleteDelay"`
	TrashEnabled            bool   `json:"trashEnabled"`
	TrashDays               int    `json:"trashDays"`
	StorageTemplateEnabled  bool   `json:"storageTemplateEnabled"`
	StorageTemplate         string `json:"storageTemplate"`
	HashVerificationEnabled bool   `json:"hashVerificationEnabled"`

	OAuth                OAuthConfig `json:"oauth"`
	PasswordLoginEnabled bool        `json:"passwordLoginEnabled"`
	ExternalDomain       string      `json:"externalDomain"`
	LoginPageMessage     string      `json:"loginPageMessage"`
	PublicUsers          bool        `json:"publicUsers"`
}

// OAuthConfig is Immich's AdminConfigOAuthDto, field for field. The client
// secret is kept as Immich keeps it (in its system config, readable by an
// admin through GET /api/system-config): it has to be sent to the provider.
type OAuthConfig struct {
	AccountManagementURL    string   `json:"accountManagementUrl"`
	AllowInsecureRequests   bool     `json:"allowInsecureRequests"`
	AutoLaunch              bool     `json:"autoLaunch"`
	AutoRegister            bool     `json:"autoRegister"`
	ButtonText              string   `json:"buttonText"`
	ClientID                string   `json:"clientId"`
	ClientSecret            string   `json:"clientSecret"`
	DefaultStorageQuota     *float64 `json:"defaultStorageQuota"` // GiB; null = unlimited
	Enabled                 bool     `json:"enabled"`
	EndSessionEndpoint      string   `json:"endSessionEndpoint"`
	IssuerURL               string   `json:"issuerUrl"`
	MobileOverrideEnabled   bool     `json:"mobileOverrideEnabled"`
	MobileRedirectURI       string   `json:"mobileRedirectUri"`
	ProfileSigningAlgorithm string   `json:"profileSigningAlgorithm"`
	Prompt                  string   `json:"prompt"`
	RoleClaim               string   `json:"roleClaim"`
	Scope                   string   `json:"scope"`
	SigningAlgorithm        string   `json:"signingAlgorithm"`
	StorageLabelClaim       string   `json:"storageLabelClaim"`
	StorageQuotaClaim       string   `json:"storageQuotaClaim"`
	Timeout                 int      `json:"timeout"` // milliseconds
	TokenEndpointAuthMethod string   `json:"tokenEndpointAuthMethod"`
}

const defaultStorageTemplate = "{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}"

// defaultConfig is Immich's defaults for the sections kept here, except the
// storage template, which is on (see README).
func defaultConfig() Config {
	return Config{
		UserDeleteDelayDays:     7,
		TrashEnabled:            true,
		TrashDays:               30,
		StorageTemplateEnabled:  true,
		StorageTemplate:         defaultStorageTemplate,
		HashVerificationEnabled: true,
		OAuth: OAuthConfig{
			AutoRegister:            true,
			ButtonText:              "Login with OAuth",
			ProfileSigningAlgorithm: "none",
			RoleClaim:               "immich_role",
			Scope:                   "openid email profile",
			SigningAlgorithm:        "RS256",
			StorageLabelClaim:       "preferred_username",
			StorageQuotaClaim:       "immich_quota",
			Timeout:                 30000,
			TokenEndpointAuthMethod: "client_secret_post",
		},
		PasswordLoginEnabled: true,
		PublicUsers:          true,
	}
}

// State is everything the stand-in knows; it is saved as one JSON file.
type State struct {
	Version  int        `json:"version"`
	Users    []*User    `json:"users"`
	Sessions []*Session `json:"sessions"`
	APIKeys  []*APIKey  `json:"apiKeys"`
	Assets   []*Asset   `json:"assets"`
	Config   Config     `json:"config"`

	Albums      []*Album      `json:"albums"`
	Partners    []*Partner    `json:"partners"`
	SharedLinks []*SharedLink `json:"sharedLinks"`
}

// Store guards the state with one mutex and persists it after every change.
type Store struct {
	mu        sync.Mutex
	mediaRoot string
	path      string
	st        State
}

const stateFileName = "photo-app-standin.json"

// OpenStore loads the state from mediaRoot, or starts empty.
func OpenStore(mediaRoot string) (*Store, error) {
	if err := os.MkdirAll(mediaRoot, 0o755); err != nil {
		return nil, err
	}
	s := &Store{mediaRoot: mediaRoot, path: filepath.Join(mediaRoot, stateFileName)}
	s.st = State{Version: 1, Config: defaultConfig()}
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, s.saveLocked()
	case err != nil:
		return nil, err
	}
	if err := json.Unmarshal(data, &s.st); err != nil {
		return nil, fmt.Errorf("state file %s: %w", s.path, err)
	}
	return s, nil
}

// update runs fn under the lock and saves the state if fn succeeds.
func (s *Store) update(fn func(st *State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := fn(&s.st); err != nil {
		return err
	}
	return s.saveLocked()
}

// view runs fn under the lock without saving.
func (s *Store) view(fn func(st *State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&s.st)
}

// saveLocked writes the state atomically: temp file, fsync, rename.
func (s *Store) saveLocked() error {
	data, err := json.MarshalIndent(&s.st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.mediaRoot, stateFileName+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.path)
}

// abs turns a path relative to the media location into an absolute one.
func (s *Store) abs(rel string) string { return filepath.Join(s.mediaRoot, filepath.FromSlash(rel)) }

// --- lookups (call with the lock held) ---

func (st *State) userByID(id string) *User {
	for _, u := range st.Users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (st *State) userByEmail(email string) *User {
	for _, u := range st.Users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

// userByOAuthID finds a user linked to the provider's sub (deleted users
// excluded, as in Immich's getByOAuthId).
func (st *State) userByOAuthID(sub string) *User {
	for _, u := range st.Users {
		if sub != "" && u.OAuthID == sub && u.DeletedAt == nil {
			return u
		}
	}
	return nil
}

func (st *State) userByStorageLabel(label string) *User {
	for _, u := range st.Users {
		if u.StorageLabel != nil && *u.StorageLabel == label {
			return u
		}
	}
	return nil
}

func (st *State) admin() *User {
	for _, u := range st.Users {
		if u.IsAdmin && u.DeletedAt == nil {
			return u
		}
	}
	return nil
}

func (st *State) assetByID(id string) *Asset {
	for _, a := range st.Assets {
		if a.ID == id {
			return a
		}
	}
	return nil
}

func (st *State) assetByChecksum(ownerID, checksum string) *Asset {
	for _, a := range st.Assets {
		if a.OwnerID == ownerID && a.Checksum == checksum {
			return a
		}
	}
	return nil
}

func (st *State) sessionByTokenHash(h string) *Session {
	for _, s := range st.Sessions {
		if subtle.ConstantTimeCompare([]byte(s.TokenHash), []byte(h)) == 1 {
			return s
		}
	}
	return nil
}

func (st *State) apiKeyByHash(h string) *APIKey {
	for _, k := range st.APIKeys {
		if subtle.ConstantTimeCompare([]byte(k.KeyHash), []byte(h)) == 1 {
			return k
		}
	}
	return nil
}

// removeUser drops a user and everything that hangs off it from the state.
func (st *State) removeUser(id string) {
	st.Users = filter(st.Users, func(u *User) bool { return u.ID != id })
	st.Sessions = filter(st.Sessions, func(s *Session) bool { return s.UserID != id })
	st.APIKeys = filter(st.APIKeys, func(k *APIKey) bool { return k.UserID != id })
	st.Assets = filter(st.Assets, func(a *Asset) bool { return a.OwnerID != id })
	st.Albums = filter(st.Albums, func(al *Album) bool { return al.OwnerID != id })
	for _, al := range st.Albums {
		al.Users = filter(al.Users, func(au AlbumUser) bool { return au.UserID != id })
	}
	st.Partners = filter(st.Partners, func(p *Partner) bool { return p.SharedByID != id && p.SharedWithID != id })
	st.SharedLinks = filter(st.SharedLinks, func(l *SharedLink) bool {
		return l.UserID != id && (l.Type == linkIndividual || st.albumByID(l.AlbumID) != nil)
	})
}

func filter[T any](items []T, keep func(T) bool) []T {
	out := items[:0]
	for _, it := range items {
		if keep(it) {
			out = append(out, it)
		}
	}
	return out
}

// --- secrets ---

// pbkdf2Iterations is lowered only by the bench-only tenant mode (STANDIN_PBKDF2_ITERATIONS); a stored hash
// carries its own count, so verification is unaffected.
var pbkdf2Iterations = 100_000

// hashPassword returns "pbkdf2-sha256$<iterations>$<salt>$<hash>" (base64).
func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, 32)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", pbkdf2Iterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// dummyPasswordHash is compared against when the e-mail is unknown, so a
// failed login takes the same time whether or not the account exists.
var dummyPasswordHash, _ = hashPassword("dummy-password-for-constant-time")

func checkPassword(password, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter <= 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

var nonWord = regexp.MustCompile(`\W`)

// randomToken mirrors Immich's randomBytesAsText(32): base64 without non-word characters.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return nonWord.ReplaceAllString(base64.StdEncoding.EncodeToString(b), "")
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isUUID(s string) bool { return uuidPattern.MatchString(s) }

// avatarColors is Immich's UserAvatarColor enum, in its order.
var avatarColors = []string{"primary", "pink", "red", "yellow", "blue", "green", "purple", "orange", "gray", "amber"}

// defaultAvatarColor picks a colour from the e-mail the way Immich does
// (sum of code points modulo the number of colours).
func defaultAvatarColor(email string) string {
	sum := 0
	for _, r := range email {
		sum += int(r)
	}
	return avatarColors[sum%len(avatarColors)]
}
