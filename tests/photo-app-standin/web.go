package main

import (
	"embed"
	"net/http"
)

// A minimal web client that signs in the way Immich's web app does, so a
// real browser can go through the whole OpenID Connect round trip:
//
//	/             -> /photos with a live session cookie, else /auth/login
//	/auth/login   -> with OAuth auto-launch and no code in the URL: POST
//	                 /api/oauth/authorize {redirectUri: origin + /auth/login}
//	                 and go to the provider; with a code: POST
//	                 /api/oauth/callback {url: location.href}, then /photos
//	/photos       -> who is signed in (name, e-mail, role, quota, usage) and
//	                 a sign-out button (POST /api/auth/logout, then its redirectUri)
//
// The pages load one script and one stylesheet from /_app/ and carry no
// inline script or style, so a strict Content-Security-Policy holds.

//go:embed web/login.html web/photos.html web/standin.js web/standin.css
var webFiles embed.FS

const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

func (s *Server) webRoutes() {
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		target := "/auth/login"
		if s.liveSession(r) {
			target = "/photos"
		}
		http.Redirect(w, r, target, http.StatusFound)
	})
	s.mux.HandleFunc("GET /auth/login", s.page("web/login.html"))
	s.mux.HandleFunc("GET /photos", func(w http.ResponseWriter, r *http.Request) {
		if !s.liveSession(r) {
			http.Redirect(w, r, "/auth/login", http.StatusFound)
			return
		}
		s.page("web/photos.html")(w, r)
	})
	s.mux.HandleFunc("GET /_app/standin.js", s.asset("web/standin.js", "text/javascript; charset=utf-8"))
	s.mux.HandleFunc("GET /_app/standin.css", s.asset("web/standin.css", "text/css; charset=utf-8"))
}

// liveSession: the immich_access_token cookie is a session of a user who is not deleted.
func (s *Server) liveSession(r *http.Request) bool {
	token := cookieValue(r, cookieAccessToken)
	if token == "" {
		return false
	}
	live := false
	_ = s.store.view(func(st *State) error {
		if sess := st.sessionByTokenHash(sha256Hex(token)); sess != nil {
			u := st.userByID(sess.UserID)
			live = u != nil && u.DeletedAt == nil
		}
		return nil
	})
	return live
}

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	// The callback URL carries the authorization code: never send it on.
	h.Set("Referrer-Policy", "no-referrer")
}

func (s *Server) page(name string) http.HandlerFunc {
	return s.asset(name, "text/html; charset=utf-8")
}

func (s *Server) asset(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := webFiles.ReadFile(name)
		if err != nil {
			writeError(w, err)
			return
		}
		securityHeaders(w.Header())
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(data)
	}
}
