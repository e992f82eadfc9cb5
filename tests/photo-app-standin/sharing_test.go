package main

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// sharingWorld: an admin (ann) and two users (bob, cy) of one instance, each with a photo.
type sharingWorld struct {
	h                      *harness
	ann, bob, cy           cred
	annID, bobID, cyID     string
	annPhoto, bobPhoto     string
	annArchived, cyPhotoID string
}

func newSharingWorld(t *testing.T) *sharingWorld {
	t.Helper()
	h := newHarness(t)
	annToken, annID := h.signUpAdmin()
	w := &sharingWorld{h: h, ann: bearer(annToken), annID: annID}
	mk := func(name string) (cred, string) {
		email := strings.ToLower(name) + "@example.com"
		u := h.createUser(w.ann, map[string]any{"email": email, "password": "password-" + name, "name": name})
		return bearer(h.login(email, "password-"+name)), u["id"].(string)
	}
	w.bob, w.bobID = mk("Bob")
	w.cy, w.cyID = mk("Cy")
	up := func(c cred, name string, extra map[string]string) string {
		r := h.upload(c, name, []byte("photo "+name), extra)
		expectStatus(t, r, 201)
		return r.json(t)["id"].(string)
	}
	w.annPhoto = up(w.ann, "ann.jpg", nil)
	w.annArchived = up(w.ann, "ann-archived.jpg", map[string]string{"visibility": "archive"})
	w.bobPhoto = up(w.bob, "bob.jpg", nil)
	w.cyPhotoID = up(w.cy, "cy.jpg", nil)
	return w
}

func ids(list []map[string]any, field string) []string {
	out := []string{}
	for _, it := range list {
		out = append(out, it[field].(string))
	}
	return out
}

func TestUserSearchListsThisInstanceOnly(t *testing.T) {
	w := newSharingWorld(t)
	r := w.h.do("GET", "/api/users", w.bob, nil)
	expectStatus(t, r, 200)
	got := ids(r.list(t), "email")
	if strings.Join(got, ",") != "owner@example.com,bob@example.com,cy@example.com" {
		t.Fatalf("users %v", got)
	}
	// publicUsers off: only oneself.
	expectStatus(t, w.h.do("PUT", "/api/system-config", w.ann, withPublicUsers(t, w, false)), 200)
	if got := ids(w.h.do("GET", "/api/users", w.bob, nil).list(t), "email"); len(got) != 1 || got[0] != "bob@example.com" {
		t.Fatalf("users without publicUsers %v", got)
	}
}

func withPublicUsers(t *testing.T, w *sharingWorld, on bool) map[string]any {
	cfg := w.h.do("GET", "/api/system-config", w.ann, nil).json(t)
	cfg["server"].(map[string]any)["publicUsers"] = on
	return cfg
}

func TestAlbumRolesEditorAddsViewerCannot(t *testing.T) {
	w := newSharingWorld(t)
	r := w.h.do("POST", "/api/albums", w.ann, map[string]any{
		"albumName": "Holiday", "assetIds": []string{w.annPhoto},
		"albumUsers": []map[string]any{{"userId": w.bobID, "role": "editor"}},
	})
	expectStatus(t, r, 201)
	album := r.json(t)
	id := album["id"].(string)
	users := album["albumUsers"].([]any)
	if len(users) != 2 || users[0].(map[string]any)["role"] != "owner" || users[1].(map[string]any)["role"] != "editor" || album["shared"] != true || album["assetCount"] != float64(1) {
		t.Fatalf("album %s", r.raw)
	}
	// cy sees nothing until added as viewer.
	expectError(t, w.h.do("GET", "/api/albums/"+id, w.cy, nil), 400, "Not found or no album.read access")
	expectError(t, w.h.do("GET", "/api/assets/"+w.annPhoto, w.cy, nil), 400, "Not found or no asset.read access")
	r = w.h.do("PUT", "/api/albums/"+id+"/users", w.ann, map[string]any{"albumUsers": []map[string]any{{"userId": w.cyID, "role": "viewer"}}})
	expectStatus(t, r, 200)
	expectStatus(t, w.h.do("GET", "/api/albums/"+id, w.cy, nil), 200)
	expectStatus(t, w.h.do("GET", "/api/assets/"+w.annPhoto, w.cy, nil), 200)
	expectStatus(t, w.h.do("GET", "/api/assets/"+w.annPhoto+"/original", w.cy, nil), 200)

	// The editor adds their own photo; the viewer cannot add at all.
	r = w.h.do("PUT", "/api/albums/"+id+"/assets", w.bob, map[string]any{"ids": []string{w.bobPhoto, w.annPhoto, w.cyPhotoID}})
	expectStatus(t, r, 200)
	res := r.list(t)
	if res[0]["success"] != true || res[1]["error"] != "duplicate" || res[2]["error"] != "no_permission" {
		t.Fatalf("editor add %s", r.raw)
	}
	expectError(t, w.h.do("PUT", "/api/albums/"+id+"/assets", w.cy, map[string]any{"ids": []string{w.cyPhotoID}}), 400, "Not found or no albumAsset.create access")
	if n := w.h.do("GET", "/api/albums/"+id, w.cy, nil).json(t)["assetCount"]; n != float64(2) {
		t.Fatalf("assetCount %v", n)
	}
	expectStatus(t, w.h.do("GET", "/api/assets/"+w.bobPhoto, w.cy, nil), 200)

	// Roles change; the owner cannot be added or removed; a viewer cannot share on; anyone may leave.
	expectStatus(t, w.h.do("PUT", "/api/albums/"+id+"/user/"+w.cyID, w.ann, map[string]any{"role": "editor"}), 200)
	expectStatus(t, w.h.do("PUT", "/api/albums/"+id+"/assets", w.cy, map[string]any{"ids": []string{w.cyPhotoID}}), 200)
	expectError(t, w.h.do("PUT", "/api/albums/"+id+"/users", w.ann, map[string]any{"albumUsers": []map[string]any{{"userId": w.annID}}}), 400, "Cannot be shared with owner")
	expectError(t, w.h.do("PUT", "/api/albums/"+id+"/users", w.ann, map[string]any{"albumUsers": []map[string]any{{"userId": w.bobID}}}), 400, "User already added")
	expectError(t, w.h.do("PUT", "/api/albums/"+id+"/users", w.ann, map[string]any{"albumUsers": []map[string]any{{"userId": newUUID()}}}), 400, "User not found")
	expectStatus(t, w.h.do("PUT", "/api/albums/"+id+"/user/"+w.bobID, w.ann, map[string]any{"role": "owner"}), 400)
	expectError(t, w.h.do("DELETE", "/api/albums/"+id+"/user/"+w.annID, w.ann, nil), 400, "Cannot remove album owner")
	expectStatus(t, w.h.do("DELETE", "/api/albums/"+id+"/user/me", w.bob, nil), 200)
	expectError(t, w.h.do("GET", "/api/albums/"+id, w.bob, nil), 400, "Not found or no album.read access")
	// Shared albums list.
	if got := ids(w.h.do("GET", "/api/albums?shared=true", w.cy, nil).list(t), "id"); len(got) != 1 || got[0] != id {
		t.Fatalf("cy's shared albums %v", got)
	}
	expectError(t, w.h.do("DELETE", "/api/albums/"+id, w.cy, nil), 400, "Not found or no album.delete access")
	expectStatus(t, w.h.do("DELETE", "/api/albums/"+id, w.ann, nil), 204)
}

func TestPartnersAreOneWayWithShowInTimeline(t *testing.T) {
	w := newSharingWorld(t)
	buckets := func(c cred) float64 {
		total := 0.0
		for _, b := range w.h.do("GET", "/api/timeline/buckets?withPartners=true&visibility=timeline", c, nil).list(t) {
			total += b["count"].(float64)
		}
		return total
	}
	if n := buckets(w.bob); n != 1 {
		t.Fatalf("bob's timeline %v", n)
	}
	r := w.h.do("POST", "/api/partners", w.ann, map[string]any{"sharedWithId": w.bobID})
	expectStatus(t, r, 201)
	if r.json(t)["id"] != w.bobID || r.json(t)["inTimeline"] != false {
		t.Fatalf("partner %s", r.raw)
	}
	expectError(t, w.h.do("POST", "/api/partners", w.ann, map[string]any{"sharedWithId": w.bobID}), 400, "Partner already exists")
	expectError(t, w.h.do("POST", "/api/partners", w.ann, map[string]any{"sharedWithId": newUUID()}), 400, "User not found")

	// bob sees ann's timeline photo, not her archived one; ann sees nothing of bob's (one way).
	expectStatus(t, w.h.do("GET", "/api/assets/"+w.annPhoto, w.bob, nil), 200)
	expectError(t, w.h.do("GET", "/api/assets/"+w.annArchived, w.bob, nil), 400, "Not found or no asset.read access")
	expectError(t, w.h.do("GET", "/api/assets/"+w.bobPhoto, w.ann, nil), 400, "Not found or no asset.read access")
	with := w.h.do("GET", "/api/partners?direction=shared-with", w.bob, nil).list(t)
	if len(with) != 1 || with[0]["id"] != w.annID || with[0]["inTimeline"] != false {
		t.Fatalf("bob's partners %v", with)
	}
	if got := w.h.do("GET", "/api/partners?direction=shared-with", w.ann, nil).list(t); len(got) != 0 {
		t.Fatalf("ann's partners %v", got)
	}

	// Only the receiver turns "show in timeline" on; then ann's photo is in bob's timeline.
	expectError(t, w.h.do("PUT", "/api/partners/"+w.bobID, w.ann, map[string]any{"inTimeline": true}), 400, "Not found or no partner.update access")
	expectStatus(t, w.h.do("PUT", "/api/partners/"+w.annID, w.bob, map[string]any{"inTimeline": true}), 200)
	if n := buckets(w.bob); n != 2 {
		t.Fatalf("bob's timeline with ann %v", n)
	}
	// Removal is the sharer's, and immediate.
	expectError(t, w.h.do("DELETE", "/api/partners/"+w.annID, w.bob, nil), 400, "Partner not found")
	expectStatus(t, w.h.do("DELETE", "/api/partners/"+w.bobID, w.ann, nil), 200)
	expectError(t, w.h.do("GET", "/api/assets/"+w.annPhoto, w.bob, nil), 400, "Not found or no asset.read access")
	if n := buckets(w.bob); n != 1 {
		t.Fatalf("bob's timeline after removal %v", n)
	}
}

func (h *harness) visit(method, path string, cookie *http.Cookie, form url.Values) response {
	h.t.Helper()
	var req *http.Request
	if form != nil {
		req, _ = http.NewRequest(method, h.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, _ = http.NewRequest(method, h.srv.URL+path, nil)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw := make([]byte, 0)
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		raw = append(raw, buf[:n]...)
		if err != nil {
			break
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, raw: raw}
}

func linkCookie(t *testing.T, r response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == cookieSharedLinkToken {
			return c
		}
	}
	t.Fatalf("no %s cookie: %v", cookieSharedLinkToken, r.header)
	return nil
}

func TestSharedLinkWithPasswordExpiryAndOptions(t *testing.T) {
	w := newSharingWorld(t)
	album := w.h.do("POST", "/api/albums", w.ann, map[string]any{"albumName": "Wedding", "assetIds": []string{w.annPhoto}}).json(t)
	expires := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	r := w.h.do("POST", "/api/shared-links", w.ann, map[string]any{
		"type": "ALBUM", "albumId": album["id"], "password": "open sesame", "expiresAt": expires,
		"allowDownload": true, "showMetadata": true,
	})
	expectStatus(t, r, 201)
	link := r.json(t)
	key := link["key"].(string)
	if link["password"] != passwordMask || link["expiresAt"] == nil || len(key) < 60 {
		t.Fatalf("link %s", r.raw)
	}
	if strings.Contains(string(readState(t, w.h)), "open sesame") {
		t.Fatal("the link password is stored in clear")
	}

	// A visitor without an account: the password first, for the API and the page alike.
	expectError(t, w.h.do("GET", "/api/shared-links/me?key="+key, anonymous, nil), 401, "Invalid password")
	expectError(t, w.h.do("GET", "/api/assets/"+w.annPhoto+"?key="+key, anonymous, nil), 401, "Invalid password")
	page := w.h.visit("GET", "/share/"+key, nil, nil)
	if page.status != 401 || !strings.Contains(string(page.raw), `name="password"`) {
		t.Fatalf("page %d %s", page.status, page.raw)
	}
	if wrong := w.h.visit("POST", "/share/"+key, nil, url.Values{"password": {"nope"}}); wrong.status != 401 || !strings.Contains(string(wrong.raw), "Invalid password") {
		t.Fatalf("wrong password %d", wrong.status)
	}
	ok := w.h.visit("POST", "/share/"+key, nil, url.Values{"password": {"open sesame"}})
	if ok.status != 303 {
		t.Fatalf("right password %d %s", ok.status, ok.raw)
	}
	cookie := linkCookie(t, ok)
	page = w.h.visit("GET", "/share/"+key, cookie, nil)
	if page.status != 200 || !strings.Contains(string(page.raw), "Wedding") || !strings.Contains(string(page.raw), w.annPhoto) {
		t.Fatalf("page after password %d %s", page.status, page.raw)
	}
	dl := w.h.visit("GET", "/api/assets/"+w.annPhoto+"/original?key="+key, cookie, nil)
	if dl.status != 200 || string(dl.raw) != "photo ann.jpg" {
		t.Fatalf("download %d %s", dl.status, dl.raw)
	}
	// Only what the link holds.
	if r := w.h.visit("GET", "/api/assets/"+w.bobPhoto+"?key="+key, cookie, nil); r.status != 400 {
		t.Fatalf("other asset through the link: %d", r.status)
	}
	// The API login works too.
	r = w.h.do("POST", "/api/shared-links/login?key="+key, anonymous, map[string]any{"password": "open sesame"})
	expectStatus(t, r, 201)
	if me := w.h.visit("GET", "/api/shared-links/me?key="+key, linkCookie(t, r), nil); me.status != 200 {
		t.Fatalf("me %d %s", me.status, me.raw)
	}

	// No download, no metadata.
	expectStatus(t, w.h.do("PATCH", "/api/shared-links/"+link["id"].(string), w.ann, map[string]any{"showMetadata": false}), 200)
	if r := w.h.visit("GET", "/api/assets/"+w.annPhoto+"/original?key="+key, cookie, nil); r.status != 400 {
		t.Fatalf("download without permission: %d", r.status)
	}
	info := w.h.visit("GET", "/api/assets/"+w.annPhoto+"?key="+key, cookie, nil)
	if info.status != 200 || strings.Contains(string(info.raw), "ann.jpg") {
		t.Fatalf("metadata shown: %s", info.raw)
	}

	// Expired: the same answer as a key that never existed.
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	expectStatus(t, w.h.do("PATCH", "/api/shared-links/"+link["id"].(string), w.ann, map[string]any{"expiresAt": past}), 200)
	expectError(t, w.h.do("GET", "/api/shared-links/me?key="+key, anonymous, nil), 401, "Invalid share key")
	expectError(t, w.h.do("GET", "/api/shared-links/me?key=nosuchkey", anonymous, nil), 401, "Invalid share key")
	if p := w.h.visit("GET", "/share/"+key, cookie, nil); p.status != 404 {
		t.Fatalf("expired page %d", p.status)
	}
	if p := w.h.visit("GET", "/share/nosuchkey", nil, nil); p.status != 404 {
		t.Fatalf("unknown page %d", p.status)
	}

	// Only the owner manages a link; revoking ends it.
	expectError(t, w.h.do("DELETE", "/api/shared-links/"+link["id"].(string), w.bob, nil), 400, "Shared link not found")
	expectStatus(t, w.h.do("DELETE", "/api/shared-links/"+link["id"].(string), w.ann, nil), 200)
	if got := w.h.do("GET", "/api/shared-links", w.ann, nil).list(t); len(got) != 0 {
		t.Fatalf("links after delete %v", got)
	}
}

func TestIndividualLinksAndSharingRules(t *testing.T) {
	w := newSharingWorld(t)
	// Not someone else's photo; an asset link needs assets.
	expectError(t, w.h.do("POST", "/api/shared-links", w.ann, map[string]any{"type": "INDIVIDUAL", "assetIds": []string{w.bobPhoto}}), 400, "Not found or no asset.share access")
	expectError(t, w.h.do("POST", "/api/shared-links", w.ann, map[string]any{"type": "INDIVIDUAL"}), 400, "Invalid assetIds")
	expectStatus(t, w.h.do("POST", "/api/shared-links", w.ann, map[string]any{"type": "BOTH"}), 400)
	r := w.h.do("POST", "/api/shared-links", w.ann, map[string]any{"type": "INDIVIDUAL", "assetIds": []string{w.annPhoto}, "allowDownload": false})
	expectStatus(t, r, 201)
	key := r.json(t)["key"].(string)
	me := w.h.do("GET", "/api/shared-links/me?key="+key, anonymous, nil)
	expectStatus(t, me, 200)
	if assets := me.json(t)["assets"].([]any); len(assets) != 1 || me.json(t)["password"] != nil {
		t.Fatalf("me %s", me.raw)
	}
	expectError(t, w.h.do("GET", "/api/assets/"+w.annPhoto+"/original?key="+key, anonymous, nil), 400, "Not found or no asset.download access")
	// A key is not a session: routes that do not take one ignore it.
	expectError(t, w.h.do("GET", "/api/albums?key="+key, anonymous, nil), 401, "Authentication required")
	// Deleting the owner removes their links.
	expectStatus(t, w.h.do("DELETE", "/api/admin/users/"+w.cyID, w.ann, map[string]any{"force": true}), 200)
	r = w.h.do("POST", "/api/shared-links", w.cy, map[string]any{"type": "INDIVIDUAL", "assetIds": []string{w.cyPhotoID}})
	expectStatus(t, r, 401)
}

func TestVisitorUploadsThroughALinkOnlyWhenAllowed(t *testing.T) {
	w := newSharingWorld(t)
	album := w.h.do("POST", "/api/albums", w.ann, map[string]any{"albumName": "Party"}).json(t)
	id := album["id"].(string)
	closed := w.h.do("POST", "/api/shared-links", w.ann, map[string]any{"type": "ALBUM", "albumId": id}).json(t)["key"].(string)
	open := w.h.do("POST", "/api/shared-links", w.ann, map[string]any{"type": "ALBUM", "albumId": id, "allowUpload": true}).json(t)["key"].(string)
	visitor := func(key string) cred { return cred{"x-immich-share-key", key} }

	expectError(t, w.h.upload(visitor(closed), "guest.jpg", []byte("guest photo"), nil), 400, "Not found or no asset.upload access")
	r := w.h.upload(visitor(open), "guest.jpg", []byte("guest photo"), nil)
	expectStatus(t, r, 201)
	asset := r.json(t)["id"].(string)
	expectError(t, w.h.do("PUT", "/api/albums/"+id+"/assets", visitor(closed), map[string]any{"ids": []string{asset}}), 400, "Not found or no albumAsset.create access")
	added := w.h.do("PUT", "/api/albums/"+id+"/assets", visitor(open), map[string]any{"ids": []string{asset}})
	expectStatus(t, added, 200)
	if added.list(t)[0]["success"] != true {
		t.Fatalf("add through the link: %s", added.raw)
	}
	// The photo is the link owner's, counted against her quota, and in the album.
	if owner := w.h.do("GET", "/api/assets/"+asset, w.ann, nil).json(t)["ownerId"]; owner != w.annID {
		t.Fatalf("owner %v", owner)
	}
	if n := w.h.do("GET", "/api/albums/"+id, w.ann, nil).json(t)["assetCount"]; n != float64(1) {
		t.Fatalf("assetCount %v", n)
	}
	// Bob's own photos cannot be pushed into the album through the link.
	expectStatus(t, w.h.do("PUT", "/api/albums/"+id+"/assets", visitor(open), map[string]any{"ids": []string{w.bobPhoto}}), 200)
	if n := w.h.do("GET", "/api/albums/"+id, w.ann, nil).json(t)["assetCount"]; n != float64(1) {
		t.Fatalf("assetCount after a foreign add %v", n)
	}
}

func readState(t *testing.T, h *harness) []byte {
	t.Helper()
	data, err := os.ReadFile(h.dir + "/" + stateFileName)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
