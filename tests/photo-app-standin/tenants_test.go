package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Two tenants of one process are two photo apps: each takes its own admin sign-up, and a session of one is
// unknown to the other.
func TestTenantModeKeepsTenantsApart(t *testing.T) {
	mux, err := newTenantMux(t.TempDir(), io.Discard, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func(path, body, token string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	signUp := `{"email":"owner@example.com","name":"Owner","password":"pw-123456"}`
	for _, tenant := range []string{"a", "b"} {
		if code, body := post("/t/"+tenant+"/api/auth/admin-sign-up", signUp, ""); code != http.StatusCreated {
			t.Fatalf("tenant %s sign-up: %d %s", tenant, code, body)
		}
	}
	if code, _ := post("/t/a/api/auth/admin-sign-up", signUp, ""); code != http.StatusBadRequest {
		t.Fatalf("second sign-up on tenant a: want 400, got %d", code)
	}
	code, body := post("/t/a/api/auth/login", `{"email":"owner@example.com","password":"pw-123456"}`, "")
	if code != http.StatusCreated {
		t.Fatalf("login: %d %s", code, body)
	}
	token := between(body, `"accessToken":"`, `"`)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/t/b/api/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("tenant a's session on tenant b: want 401, got %d", res.StatusCode)
	}
	for _, path := range []string{"/api/server/ping", "/t/../api/server/ping", "/t/UPPER/api/server/ping"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: want 404, got %d", path, res.StatusCode)
		}
	}
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}
