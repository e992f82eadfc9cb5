package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// --- harness ---

type harness struct {
	t    *testing.T
	dir  string
	srv  *httptest.Server
	root *Server
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return startHarness(t, t.TempDir())
}

// startHarness runs a server on dir; a second call on the same dir is a restart.
func startHarness(t *testing.T, dir string) *harness {
	t.Helper()
	store, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	root := NewServer(store, io.Discard)
	srv := httptest.NewServer(root)
	t.Cleanup(srv.Close)
	return &harness{t: t, dir: dir, srv: srv, root: root}
}

type response struct {
	status int
	header http.Header
	raw    []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.raw, &m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %s", r.status, r.raw)
	}
	return m
}

func (r response) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.raw, &l); err != nil {
		t.Fatalf("response is not a JSON array (%d): %s", r.status, r.raw)
	}
	return l
}

// message returns the "message" of an Immich error body.
func (r response) message(t *testing.T) any { return r.json(t)["message"] }

// cred is how a request authenticates: a header name and value.
type cred struct{ header, value string }

func bearer(token string) cred  { return cred{"Authorization", "Bearer " + token} }
func apiKey(secret string) cred { return cred{"x-api-key", secret} }

var anonymous = cred{}

func (h *harness) do(method, path string, c cred, body any) response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.header != "" {
		req.Header.Set(c.header, c.value)
	}
	return h.send(req)
}

func (h *harness) send(req *http.Request) response {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, raw: raw}
}

func expectStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.raw)
	}
}

func expectError(t *testing.T, r response, status int, message string) {
	t.Helper()
	expectStatus(t, r, status)
	body := r.json(t)
	if body["message"] != message || body["statusCode"] != float64(status) || body["error"] != http.StatusText(status) {
		t.Fatalf("error body %s, want message %q and statusCode %d", r.raw, message, status)
	}
}

const (
	adminEmail    = "owner@example.com"
	adminPassword = "owner-password"
)

// signUpAdmin registers the first user and logs in as them.
func (h *harness) signUpAdmin() (token string, id string) {
	h.t.Helper()
	r := h.do("POST", "/api/auth/admin-sign-up", anonymous, map[string]any{"email": adminEmail, "password": adminPassword, "name": "Owner"})
	expectStatus(h.t, r, 201)
	return h.login(adminEmail, adminPassword), r.json(h.t)["id"].(string)
}

func (h *harness) login(email, password string) string {
	h.t.Helper()
	r := h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": email, "password": password})
	expectStatus(h.t, r, 201)
	return r.json(h.t)["accessToken"].(string)
}

func (h *harness) createUser(admin cred, body map[string]any) map[string]any {
	h.t.Helper()
	r := h.do("POST", "/api/admin/users", admin, body)
	expectStatus(h.t, r, 201)
	return r.json(h.t)
}

// upload sends a multipart body the way @immich/sdk's uploadAsset does: the
// file as a Blob (so its part is named "blob") and the real name in "filename".
func (h *harness) upload(c cred, filename string, content []byte, extra map[string]string) response {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("assetData", "blob")
	if err != nil {
		h.t.Fatal(err)
	}
	part.Write(content)
	fields := map[string]string{
		"deviceAssetId":  "device-asset-" + filename,
		"deviceId":       "photoplane-tests",
		"fileCreatedAt":  "2024-05-06T07:08:09.000Z",
		"fileModifiedAt": "2024-05-06T07:08:09.000Z",
		"filename":       filename,
		"isFavorite":     "false",
	}
	for k, v := range extra {
		fields[k] = v
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	// Non-scalar fields (metadata) arrive as JSON blobs.
	meta, _ := mw.CreatePart(map[string][]string{
		"Content-Disposition": {`form-data; name="metadata"; filename="blob"`},
		"Content-Type":        {"application/json"},
	})
	meta.Write([]byte(`{"key":"mobile-app","value":{"iCloudId":"x"}}`))
	mw.Close()
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/assets", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	if c.header != "" {
		req.Header.Set(c.header, c.value)
	}
	return h.send(req)
}

func (h *harness) userAdmin(admin cred, id string) map[string]any {
	h.t.Helper()
	r := h.do("GET", "/api/admin/users/"+id, admin, nil)
	expectStatus(h.t, r, 200)
	return r.json(h.t)
}

func (h *harness) exists(rel string) bool {
	_, err := os.Stat(filepath.Join(h.dir, rel))
	return err == nil
}

// filesUnder lists the regular files below dir/rel, relative to dir.
func (h *harness) filesUnder(rel string) []string {
	var out []string
	filepath.Walk(filepath.Join(h.dir, rel), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			r, _ := filepath.Rel(h.dir, p)
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	return out
}

// --- tests ---

func TestServerPingVersionAndUnknownRoute(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/api/server/ping", anonymous, nil)
	expectStatus(t, r, 200)
	if string(bytes.TrimSpace(r.raw)) != `{"res":"pong"}` || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("ping: %s (%s)", r.raw, r.header.Get("Content-Type"))
	}
	v := h.do("GET", "/api/server/version", anonymous, nil).json(t)
	if v["major"] != float64(versionMajor) || v["minor"] != float64(versionMinor) || v["patch"] != float64(versionPatch) {
		t.Fatalf("version: %v", v)
	}
	if cfg := h.do("GET", "/api/server/config", anonymous, nil).json(t); cfg["isInitialized"] != false {
		t.Fatalf("fresh server should not be initialized: %v", cfg)
	}
	expectError(t, h.do("GET", "/api/nothing-here", anonymous, nil), 404, "Cannot GET /api/nothing-here")
}

func TestAdminSignUpOnlyOnce(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/auth/admin-sign-up", anonymous, map[string]any{"email": "Owner@Example.com", "password": adminPassword, "name": "Owner"})
	expectStatus(t, r, 201)
	u := r.json(t)
	if u["isAdmin"] != true || u["email"] != adminEmail || u["storageLabel"] != "admin" || u["status"] != "active" || u["quotaSizeInBytes"] != nil {
		t.Fatalf("admin: %s", r.raw)
	}
	for _, field := range []string{"id", "avatarColor", "createdAt", "updatedAt", "profileChangedAt", "clusterGroupId", "oauthId", "profileImagePath"} {
		if _, ok := u[field]; !ok {
			t.Errorf("UserAdminResponseDto lacks %q", field)
		}
	}
	again := h.do("POST", "/api/auth/admin-sign-up", anonymous, map[string]any{"email": "other@example.com", "password": "x", "name": "Other"})
	expectError(t, again, 400, "The server already has an admin")

	bad := h.do("POST", "/api/auth/admin-sign-up", anonymous, map[string]any{"email": "not-an-email", "password": "x", "name": "X"})
	expectStatus(t, bad, 400)
	if msgs, ok := bad.message(t).([]any); !ok || msgs[0] != "email must be an email" {
		t.Fatalf("validation message: %s", bad.raw)
	}
	if cfg := h.do("GET", "/api/server/config", anonymous, nil).json(t); cfg["isInitialized"] != true {
		t.Fatalf("server should be initialized: %v", cfg)
	}
}

func TestLoginAndAuthentication(t *testing.T) {
	h := newHarness(t)
	h.signUpAdmin()

	expectError(t, h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": adminEmail, "password": "wrong"}), 401, "Incorrect email or password")
	expectError(t, h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": "nobody@example.com", "password": "x"}), 401, "Incorrect email or password")

	r := h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": "OWNER@example.com", "password": adminPassword})
	expectStatus(t, r, 201)
	login := r.json(t)
	for _, field := range []string{"accessToken", "userId", "userEmail", "name", "isAdmin", "profileImagePath", "shouldChangePassword", "isOnboarded"} {
		if _, ok := login[field]; !ok {
			t.Errorf("LoginResponseDto lacks %q", field)
		}
	}
	token := login["accessToken"].(string)
	if login["isAdmin"] != true || login["userEmail"] != adminEmail {
		t.Fatalf("login: %s", r.raw)
	}
	if !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ";"), "immich_access_token="+token) {
		t.Fatalf("no immich_access_token cookie: %v", r.header.Values("Set-Cookie"))
	}

	expectError(t, h.do("GET", "/api/users/me", anonymous, nil), 401, "Authentication required")
	expectError(t, h.do("GET", "/api/users/me", bearer("nonsense"), nil), 401, "Invalid user token")
	for _, c := range []cred{bearer(token), {"x-immich-user-token", token}, {"Cookie", "immich_access_token=" + token}} {
		me := h.do("GET", "/api/users/me", c, nil)
		expectStatus(t, me, 200)
		if me.json(t)["email"] != adminEmail {
			t.Fatalf("me via %s: %s", c.header, me.raw)
		}
	}

	// PUT /users/me changes the name.
	upd := h.do("PUT", "/api/users/me", bearer(token), map[string]any{"name": "Renamed"})
	expectStatus(t, upd, 200)
	if upd.json(t)["name"] != "Renamed" {
		t.Fatalf("update me: %s", upd.raw)
	}

	out := h.do("POST", "/api/auth/logout", bearer(token), nil)
	expectStatus(t, out, 200)
	expectError(t, h.do("GET", "/api/users/me", bearer(token), nil), 401, "Invalid user token")
}

func TestAPIKeyCreateUseAndDelete(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()

	r := h.do("POST", "/api/api-keys", bearer(token), map[string]any{"name": "photoplane", "permissions": []string{"all"}})
	expectStatus(t, r, 201)
	created := r.json(t)
	secret := created["secret"].(string)
	key := created["apiKey"].(map[string]any)
	if secret == "" || key["name"] != "photoplane" || key["id"] != created["id"] || key["createdAt"] == nil || key["updatedAt"] == nil {
		t.Fatalf("create key: %s", r.raw)
	}

	me := h.do("GET", "/api/users/me", apiKey(secret), nil)
	expectStatus(t, me, 200)
	if me.json(t)["email"] != adminEmail {
		t.Fatalf("me via key: %s", me.raw)
	}

	list := h.do("GET", "/api/api-keys", apiKey(secret), nil)
	expectStatus(t, list, 200)
	if keys := list.list(t); len(keys) != 1 || keys[0]["secret"] != nil {
		t.Fatalf("list keys: %s", list.raw)
	}

	// A narrow key is refused elsewhere, and cannot mint a wider one.
	narrow := h.do("POST", "/api/api-keys", bearer(token), map[string]any{"name": "narrow", "permissions": []string{"user.read", "apiKey.create"}}).json(t)["secret"].(string)
	expectStatus(t, h.do("GET", "/api/users/me", apiKey(narrow), nil), 200)
	expectError(t, h.do("GET", "/api/admin/users", apiKey(narrow), nil), 403, "Missing required permission: adminUser.read")
	expectError(t, h.do("POST", "/api/api-keys", apiKey(narrow), map[string]any{"permissions": []string{"all"}}), 400, "Cannot grant permissions you do not have")
	expectStatus(t, h.do("POST", "/api/api-keys", apiKey(secret), map[string]any{"permissions": []string{}}), 400)
	expectStatus(t, h.do("POST", "/api/api-keys", apiKey(secret), map[string]any{"permissions": []string{"no.such.permission"}}), 400)

	// The state file holds hashes only.
	state, err := os.ReadFile(filepath.Join(h.dir, stateFileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(state, []byte(secret)) || bytes.Contains(state, []byte(token)) || bytes.Contains(state, []byte(adminPassword)) {
		t.Fatal("state file contains a secret in clear")
	}

	del := h.do("DELETE", "/api/api-keys/"+key["id"].(string), bearer(token), nil)
	expectStatus(t, del, 204)
	expectError(t, h.do("GET", "/api/users/me", apiKey(secret), nil), 401, "Invalid API key")
	expectError(t, h.do("DELETE", "/api/api-keys/"+key["id"].(string), bearer(token), nil), 400, "API Key not found")
}

func TestAdminUserCreateUpdateAndStorageLabels(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)

	gib := int64(1 << 30)
	u := h.createUser(admin, map[string]any{
		"email": "Alice@Example.com", "password": "alice-initial", "name": "Alice",
		"quotaSizeInBytes": 5 * gib, "storageLabel": "alice", "notify": false,
	})
	if u["quotaSizeInBytes"] != float64(5*gib) || u["storageLabel"] != "alice" || u["shouldChangePassword"] != true ||
		u["quotaUsageInBytes"] != float64(0) || u["email"] != "alice@example.com" || u["isAdmin"] != false {
		t.Fatalf("created user: %v", u)
	}
	id := u["id"].(string)

	// Unlimited quota and shouldChangePassword unchecked.
	bob := h.createUser(admin, map[string]any{"email": "bob@example.com", "password": "bob-password", "name": "Bob", "quotaSizeInBytes": nil, "shouldChangePassword": false})
	if bob["quotaSizeInBytes"] != nil || bob["shouldChangePassword"] != false || bob["storageLabel"] != nil {
		t.Fatalf("bob: %v", bob)
	}

	expectError(t, h.do("POST", "/api/admin/users", admin, map[string]any{"email": "carol@example.com", "password": "x", "name": "Carol", "storageLabel": "alice"}), 400,
		"Storage label already in use by another account")
	expectError(t, h.do("POST", "/api/admin/users", admin, map[string]any{"email": "alice@example.com", "password": "x", "name": "Alice 2"}), 400, "User exists")
	expectError(t, h.do("PUT", "/api/admin/users/"+bob["id"].(string), admin, map[string]any{"storageLabel": "alice", "name": "Not applied"}), 400,
		"Storage label already in use by another account")
	if got := h.userAdmin(admin, bob["id"].(string)); got["name"] != "Bob" {
		t.Fatalf("a refused update was half-applied: %v", got)
	}
	neg := h.do("POST", "/api/admin/users", admin, map[string]any{"email": "neg@example.com", "password": "x", "name": "Neg", "quotaSizeInBytes": -1})
	expectStatus(t, neg, 400)

	// A member is not an admin.
	aliceToken := h.login("alice@example.com", "alice-initial")
	expectError(t, h.do("GET", "/api/admin/users", bearer(aliceToken), nil), 403, "Forbidden")
	expectError(t, h.do("GET", "/api/server/statistics", bearer(aliceToken), nil), 403, "Forbidden")

	// Update: quota to unlimited, new password with must-change, label cleared.
	r := h.do("PUT", "/api/admin/users/"+id, admin, map[string]any{"quotaSizeInBytes": nil, "password": "reset-password", "shouldChangePassword": true, "storageLabel": ""})
	expectStatus(t, r, 200)
	if up := r.json(t); up["quotaSizeInBytes"] != nil || up["storageLabel"] != nil || up["shouldChangePassword"] != true {
		t.Fatalf("update: %s", r.raw)
	}
	expectStatus(t, h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": "alice@example.com", "password": "alice-initial"}), 401)
	login := h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": "alice@example.com", "password": "reset-password"})
	expectStatus(t, login, 201)
	if login.json(t)["shouldChangePassword"] != true {
		t.Fatalf("login after reset: %s", login.raw)
	}
	// The label that was freed can now be taken; dots are stripped as Immich does.
	r = h.do("PUT", "/api/admin/users/"+bob["id"].(string), admin, map[string]any{"storageLabel": "al.ice"})
	expectStatus(t, r, 200)
	if r.json(t)["storageLabel"] != "alice" {
		t.Fatalf("label: %s", r.raw)
	}

	list := h.do("GET", "/api/admin/users", admin, nil).list(t)
	if len(list) != 3 {
		t.Fatalf("want 3 users, got %d", len(list))
	}
	expectError(t, h.do("GET", "/api/admin/users/"+newUUID(), admin, nil), 400, "User not found")
}

func TestUploadQuotaAndStatistics(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	u := h.createUser(admin, map[string]any{"email": "alice@example.com", "password": "alice-password", "name": "Alice", "quotaSizeInBytes": 100, "storageLabel": "alice"})
	id := u["id"].(string)
	alice := bearer(h.login("alice@example.com", "alice-password"))

	photo := bytes.Repeat([]byte("a"), 60)
	r := h.upload(alice, "IMG_0001.jpg", photo, nil)
	expectStatus(t, r, 201)
	created := r.json(t)
	if created["status"] != "created" || created["id"] == "" {
		t.Fatalf("upload: %s", r.raw)
	}
	assetID := created["id"].(string)

	// Stored under the member's storage label, with Immich's template path.
	if !h.exists("library/alice/2024/2024-05-06/IMG_0001.jpg") {
		t.Fatalf("file not at the template path; files: %v", h.filesUnder("."))
	}
	info := h.do("GET", "/api/assets/"+assetID, alice, nil)
	expectStatus(t, info, 200)
	if a := info.json(t); a["originalFileName"] != "IMG_0001.jpg" || a["type"] != "IMAGE" || a["ownerId"] != id {
		t.Fatalf("asset: %s", info.raw)
	}
	orig := h.do("GET", "/api/assets/"+assetID+"/original", alice, nil)
	expectStatus(t, orig, 200)
	if !bytes.Equal(orig.raw, photo) {
		t.Fatal("original differs from the upload")
	}
	// Another member sees nothing.
	expectError(t, h.do("GET", "/api/assets/"+assetID, admin, nil), 400, "Not found or no asset.read access")

	// 60 + 60 > 100: refused with Immich's message, nothing stored.
	other := bytes.Repeat([]byte("b"), 60)
	expectError(t, h.upload(alice, "IMG_0002.jpg", other, nil), 400, "Quota has been exceeded!")
	if files := h.filesUnder("."); len(files) != 2 { // the photo and the state file
		t.Fatalf("refused upload left files behind: %v", files)
	}
	// 60 + 40 = 100 is still allowed.
	expectStatus(t, h.upload(alice, "IMG_0003.jpg", bytes.Repeat([]byte("c"), 40), nil), 201)
	if got := h.userAdmin(admin, id)["quotaUsageInBytes"]; got != float64(100) {
		t.Fatalf("usage %v, want 100", got)
	}

	// The same bytes again are a duplicate (checksum header, as the CLI sends it).
	sum := sha1.Sum(photo)
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/assets", strings.NewReader(""))
	req.Header.Set("Authorization", "Bearer "+strings.TrimPrefix(alice.value, "Bearer "))
	req.Header.Set("x-immich-checksum", base64.StdEncoding.EncodeToString(sum[:]))
	dup := h.send(req)
	expectStatus(t, dup, 200)
	if d := dup.json(t); d["status"] != "duplicate" || d["id"] != assetID {
		t.Fatalf("duplicate: %s", dup.raw)
	}

	expectError(t, h.upload(alice, "notes.txt", []byte("hello"), nil), 400, "Unsupported file type notes.txt")
	bad := h.upload(alice, "x.jpg", []byte("x"), map[string]string{"fileCreatedAt": "yesterday"})
	expectStatus(t, bad, 400)

	// Server statistics.
	r = h.do("GET", "/api/server/statistics", admin, nil)
	expectStatus(t, r, 200)
	var stats serverStatsDTO
	if err := json.Unmarshal(r.raw, &stats); err != nil {
		t.Fatal(err)
	}
	if stats.Photos != 2 || stats.Usage != 100 || stats.UsagePhotos != 100 || len(stats.UsageByUser) != 2 {
		t.Fatalf("stats: %s", r.raw)
	}
	var row *usageByUserDTO
	for i := range stats.UsageByUser {
		if stats.UsageByUser[i].UserID == id {
			row = &stats.UsageByUser[i]
		}
	}
	if row == nil || row.Usage != 100 || row.Photos != 2 || row.UserName != "Alice" || row.QuotaSizeInBytes == nil || *row.QuotaSizeInBytes != 100 {
		t.Fatalf("usageByUser: %s", r.raw)
	}
}

func TestDeleteAssetsTrashAndForce(t *testing.T) {
	h := newHarness(t)
	token, adminID := h.signUpAdmin()
	admin := bearer(token)
	r := h.upload(admin, "a.jpg", []byte("0123456789"), nil)
	expectStatus(t, r, 201)
	id := r.json(t)["id"].(string)

	// To the trash: usage unchanged, not counted in statistics.
	expectStatus(t, h.do("DELETE", "/api/assets", admin, map[string]any{"ids": []string{id}}), 204)
	if a := h.do("GET", "/api/assets/"+id, admin, nil).json(t); a["isTrashed"] != true {
		t.Fatalf("asset not trashed: %v", a)
	}
	if usage := h.userAdmin(admin, adminID)["quotaUsageInBytes"]; usage != float64(10) {
		t.Fatalf("usage after trash %v", usage)
	}
	// For good: file gone, usage back to 0.
	expectStatus(t, h.do("DELETE", "/api/assets", admin, map[string]any{"ids": []string{id}, "force": true}), 204)
	if usage := h.userAdmin(admin, adminID)["quotaUsageInBytes"]; usage != float64(0) {
		t.Fatalf("usage after force delete %v", usage)
	}
	if files := h.filesUnder("library"); len(files) != 0 {
		t.Fatalf("files left: %v", files)
	}
	expectError(t, h.do("DELETE", "/api/assets", admin, map[string]any{"ids": []string{id}}), 400, "Not found or no asset.delete access")
}

func TestSoftDeleteBlocksLoginAndRestore(t *testing.T) {
	h := newHarness(t)
	token, adminID := h.signUpAdmin()
	admin := bearer(token)
	u := h.createUser(admin, map[string]any{"email": "alice@example.com", "password": "alice-password", "name": "Alice"})
	id := u["id"].(string)
	aliceToken := h.login("alice@example.com", "alice-password")
	keySecret := h.do("POST", "/api/api-keys", bearer(aliceToken), map[string]any{"permissions": []string{"all"}}).json(t)["secret"].(string)

	expectError(t, h.do("DELETE", "/api/admin/users/"+adminID, admin, map[string]any{"force": false}), 403, "Cannot delete your own account")

	r := h.do("DELETE", "/api/admin/users/"+id, admin, map[string]any{"force": false})
	expectStatus(t, r, 200)
	if d := r.json(t); d["status"] != "deleted" || d["deletedAt"] == nil {
		t.Fatalf("soft delete: %s", r.raw)
	}
	expectError(t, h.do("POST", "/api/auth/login", anonymous, map[string]any{"email": "alice@example.com", "password": "alice-password"}), 401, "Incorrect email or password")
	expectStatus(t, h.do("GET", "/api/users/me", bearer(aliceToken), nil), 401)
	expectStatus(t, h.do("GET", "/api/users/me", apiKey(keySecret), nil), 401)

	if l := h.do("GET", "/api/admin/users", admin, nil).list(t); len(l) != 1 {
		t.Fatalf("deleted user listed without withDeleted: %d users", len(l))
	}
	if l := h.do("GET", "/api/admin/users?withDeleted=true", admin, nil).list(t); len(l) != 2 {
		t.Fatalf("withDeleted: %d users", len(l))
	}
	expectError(t, h.do("DELETE", "/api/admin/users/"+id, admin, map[string]any{}), 400, "User not found")

	r = h.do("POST", "/api/admin/users/"+id+"/restore", admin, nil)
	expectStatus(t, r, 200)
	if d := r.json(t); d["status"] != "active" || d["deletedAt"] != nil {
		t.Fatalf("restore: %s", r.raw)
	}
	h.login("alice@example.com", "alice-password")
}

func TestForceDeleteRemovesUserAssetsAndFiles(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	u := h.createUser(admin, map[string]any{"email": "alice@example.com", "password": "alice-password", "name": "Alice", "storageLabel": "alice"})
	id := u["id"].(string)
	alice := bearer(h.login("alice@example.com", "alice-password"))
	expectStatus(t, h.upload(alice, "one.jpg", []byte("one"), nil), 201)
	expectStatus(t, h.upload(alice, "two.mp4", []byte("two"), nil), 201)
	expectStatus(t, h.upload(admin, "admin.jpg", []byte("admin"), nil), 201)
	if n := len(h.filesUnder("library/alice")); n != 2 {
		t.Fatalf("want 2 files for alice, got %d", n)
	}

	r := h.do("DELETE", "/api/admin/users/"+id, admin, map[string]any{"force": true})
	expectStatus(t, r, 200)
	if d := r.json(t); d["status"] != "removing" {
		t.Fatalf("force delete: %s", r.raw)
	}
	if h.exists("library/alice") || h.exists("upload/"+id) {
		t.Fatalf("alice's folders remain: %v", h.filesUnder("."))
	}
	if n := len(h.filesUnder("library/admin")); n != 1 {
		t.Fatalf("the admin's file was touched: %v", h.filesUnder("."))
	}
	expectError(t, h.do("GET", "/api/admin/users/"+id, admin, nil), 400, "User not found")
	expectError(t, h.do("POST", "/api/admin/users/"+id+"/restore", admin, nil), 400, "User not found")
	var stats serverStatsDTO
	json.Unmarshal(h.do("GET", "/api/server/statistics", admin, nil).raw, &stats)
	if len(stats.UsageByUser) != 1 || stats.Videos != 0 || stats.Usage != 5 {
		t.Fatalf("stats after force delete: %+v", stats)
	}
}

func TestUserCleanupJobPurgesAfterDelay(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	id := h.createUser(admin, map[string]any{"email": "alice@example.com", "password": "alice-password", "name": "Alice"})["id"].(string)
	expectStatus(t, h.upload(bearer(h.login("alice@example.com", "alice-password")), "p.jpg", []byte("p"), nil), 201)
	expectStatus(t, h.do("DELETE", "/api/admin/users/"+id, admin, map[string]any{}), 200)

	// Not yet due: the job keeps the user.
	expectStatus(t, h.do("POST", "/api/jobs", admin, map[string]any{"name": "user-cleanup"}), 204)
	expectStatus(t, h.do("GET", "/api/admin/users/"+id, admin, nil), 200)

	// Eight days later (default delay 7 days) the user and files are gone.
	if err := h.root.runUserCleanup(time.Now().Add(8 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	expectError(t, h.do("GET", "/api/admin/users/"+id, admin, nil), 400, "User not found")
	if h.exists("library/" + id) {
		t.Fatal("files of the purged user remain")
	}
}

func TestStorageTemplateMigrationAppliesNewLabel(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	id := h.createUser(admin, map[string]any{"email": "alice@example.com", "password": "alice-password", "name": "Alice"})["id"].(string)
	alice := bearer(h.login("alice@example.com", "alice-password"))
	r := h.upload(alice, "IMG_0001.jpg", []byte("photo"), nil)
	expectStatus(t, r, 201)
	assetID := r.json(t)["id"].(string)
	if !h.exists("library/" + id + "/2024/2024-05-06/IMG_0001.jpg") {
		t.Fatalf("without a label files go under the user id: %v", h.filesUnder("."))
	}

	expectStatus(t, h.do("PUT", "/api/admin/users/"+id, admin, map[string]any{"storageLabel": "alice"}), 200)
	if !h.exists("library/" + id + "/2024/2024-05-06/IMG_0001.jpg") {
		t.Fatal("files must stay until the migration job runs")
	}
	r = h.do("PUT", "/api/jobs/storageTemplateMigration", admin, map[string]any{"command": "start", "force": false})
	expectStatus(t, r, 200)
	if _, ok := r.json(t)["jobCounts"]; !ok {
		t.Fatalf("QueueResponseLegacyDto: %s", r.raw)
	}
	if !h.exists("library/alice/2024/2024-05-06/IMG_0001.jpg") || h.exists("library/"+id) {
		t.Fatalf("migration did not move the file: %v", h.filesUnder("."))
	}
	if got := h.do("GET", "/api/assets/"+assetID+"/original", alice, nil); string(got.raw) != "photo" {
		t.Fatalf("original after migration: %d %s", got.status, got.raw)
	}
	// A second photo with the same name on the same day gets Immich's "+1".
	expectStatus(t, h.upload(alice, "IMG_0001.jpg", []byte("another photo"), nil), 201)
	if !h.exists("library/alice/2024/2024-05-06/IMG_0001+1.jpg") {
		t.Fatalf("no +1 suffix: %v", h.filesUnder("library"))
	}
	expectStatus(t, h.do("PUT", "/api/jobs/noSuchQueue", admin, map[string]any{"command": "start"}), 400)
}

func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	h := startHarness(t, dir)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	secret := h.do("POST", "/api/api-keys", admin, map[string]any{"name": "k", "permissions": []string{"all"}}).json(t)["secret"].(string)
	u := h.createUser(admin, map[string]any{"email": "alice@example.com", "password": "alice-password", "name": "Alice", "quotaSizeInBytes": 1000, "storageLabel": "alice"})
	alice := bearer(h.login("alice@example.com", "alice-password"))
	assetID := h.upload(alice, "keep.jpg", []byte("kept bytes"), nil).json(t)["id"].(string)
	h.srv.Close()

	h2 := startHarness(t, dir)
	expectStatus(t, h2.do("POST", "/api/auth/admin-sign-up", anonymous, map[string]any{"email": "x@example.com", "password": "x", "name": "X"}), 400)
	expectStatus(t, h2.do("GET", "/api/users/me", admin, nil), 200) // sessions survive
	expectStatus(t, h2.do("GET", "/api/users/me", apiKey(secret), nil), 200)
	got := h2.userAdmin(apiKey(secret), u["id"].(string))
	if got["quotaSizeInBytes"] != float64(1000) || got["quotaUsageInBytes"] != float64(10) || got["storageLabel"] != "alice" {
		t.Fatalf("user after restart: %v", got)
	}
	alice2 := bearer(h2.login("alice@example.com", "alice-password"))
	if orig := h2.do("GET", "/api/assets/"+assetID+"/original", alice2, nil); string(orig.raw) != "kept bytes" {
		t.Fatalf("asset after restart: %d %s", orig.status, orig.raw)
	}
}

func TestHealthcheck(t *testing.T) {
	h := newHarness(t)
	u, _ := url.Parse(h.srv.URL)
	if code := runHealthcheck(u.Port()); code != 0 {
		t.Fatalf("healthcheck against a live server: %d", code)
	}
	h.srv.Close()
	if code := runHealthcheck(u.Port()); code != 1 {
		t.Fatalf("healthcheck against a stopped server: %d", code)
	}
}

func TestSystemConfigUserDeleteDelay(t *testing.T) {
	h := newHarness(t)
	token, _ := h.signUpAdmin()
	admin := bearer(token)
	r := h.do("PUT", "/api/system-config", admin, map[string]any{"user": map[string]any{"deleteDelay": 1}, "unknownSection": map[string]any{}})
	expectStatus(t, r, 200)
	if cfg := h.do("GET", "/api/server/config", anonymous, nil).json(t); cfg["userDeleteDelay"] != float64(1) {
		t.Fatalf("server config: %v", cfg)
	}
	expectStatus(t, h.do("PUT", "/api/system-config", admin, map[string]any{"storageTemplate": map[string]any{"template": "{{nope}}"}}), 400)
}
