package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"
)

// Server is the HTTP side of the stand-in.
type Server struct {
	store    *Store
	mux      *http.ServeMux
	log      *log.Logger
	outbound http.RoundTripper // for requests to the OpenID provider
}

// Options are the stand-in's settings beyond its state.
type Options struct {
	// EdgeSocket, when set, is a unix socket every outgoing HTTP request is
	// dialled to instead of the URL's host (env STANDIN_EDGE_SOCKET).
	EdgeSocket string
}

// NewServer wires every route. logOut receives one line per request.
func NewServer(store *Store, logOut io.Writer) *Server {
	return NewServerWith(store, logOut, Options{})
}

// NewServerWith is NewServer with options.
func NewServerWith(store *Store, logOut io.Writer, opts Options) *Server {
	s := &Server{store: store, mux: http.NewServeMux(), log: log.New(logOut, "", 0), outbound: newOutboundTransport(opts.EdgeSocket)}
	s.routes()
	return s
}

// ServeHTTP answers unknown routes like NestJS does and logs every request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		writeError(rec, &httpError{Status: http.StatusNotFound, Message: fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path)})
	} else {
		s.mux.ServeHTTP(rec, r)
	}
	// Only the path is logged: query strings may carry apiKey or sessionKey.
	s.log.Printf("%s %s %s %d %dB %s", start.UTC().Format(time.RFC3339), r.Method, r.URL.Path, rec.status, rec.bytes, time.Since(start).Round(time.Microsecond))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// --- errors in Immich's shape: {message, error, statusCode, correlationId} ---

type httpError struct {
	Status  int
	Message any // a string, or a list of validation messages
}

func (e *httpError) Error() string { return fmt.Sprint(e.Message) }

func badRequest(msg any) error      { return &httpError{Status: http.StatusBadRequest, Message: msg} }
func unauthorized(msg string) error { return &httpError{Status: http.StatusUnauthorized, Message: msg} }
func forbidden(msg string) error    { return &httpError{Status: http.StatusForbidden, Message: msg} }
func notFound(msg string) error     { return &httpError{Status: http.StatusNotFound, Message: msg} }

func writeError(w http.ResponseWriter, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		log.Printf("internal error: %v", err)
		he = &httpError{Status: http.StatusInternalServerError, Message: "Internal server error"}
	}
	writeJSON(w, he.Status, map[string]any{
		"message":       he.Message,
		"error":         http.StatusText(he.Status),
		"statusCode":    he.Status,
		"correlationId": randomToken()[:8],
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// --- routing and authentication ---

// Auth is who made a request, found from a session token or an API key.
type Auth struct {
	UserID    string
	IsAdmin   bool
	SessionID string
	APIKey    *APIKey // nil when authenticated with a session
	// SharedLink is set for a visitor who came with a link's key; UserID is then the link's owner.
	SharedLink *SharedLink
}

// access describes what a route requires, like Immich's @Authenticated().
type access struct {
	public     bool
	admin      bool
	permission string // API-key permission; "" = none required
	sharedLink bool   // a shared-link key (?key=, ?slug=, x-immich-share-key) may stand in for a user
	linkOnly   bool   // only a shared-link key (the public /shared-links/me and /login)
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, a *Auth) error

var (
	public         = access{public: true}
	sharedLinkOnly = access{linkOnly: true}
)

// sharedNeeds: a user with permission, or a visitor through a link (Immich's @Authenticated({sharedLink: true})).
func sharedNeeds(permission string) access { return access{permission: permission, sharedLink: true} }

func needs(permission string) access      { return access{permission: permission} }
func adminNeeds(permission string) access { return access{admin: true, permission: permission} }

func (s *Server) handle(pattern string, acc access, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		var a *Auth
		key, slug := shareKey(r)
		switch {
		case (acc.sharedLink || acc.linkOnly) && (key != "" || slug != ""):
			// As in Immich, a share key on a route that takes one wins over a session.
			var err error
			if a, err = s.authenticateSharedLink(r, key, slug, !acc.linkOnly); err != nil {
				writeError(w, err)
				return
			}
		case acc.linkOnly:
			writeError(w, unauthorized("Invalid share key"))
			return
		case !acc.public:
			var err error
			if a, err = s.authenticate(r, acc); err != nil {
				writeError(w, err)
				return
			}
		}
		if err := h(w, r, a); err != nil {
			writeError(w, err)
		}
	})
}

// authenticate follows Immich's AuthService.validate: a session token (from
// x-immich-user-token, x-immich-session-token, ?sessionKey, a Bearer header
// or the immich_access_token cookie) wins over an API key (x-api-key or ?apiKey).
func (s *Server) authenticate(r *http.Request, acc access) (*Auth, error) {
	token := firstNonEmpty(
		r.Header.Get("x-immich-user-token"),
		r.Header.Get("x-immich-session-token"),
		r.URL.Query().Get("sessionKey"),
		bearerToken(r),
		cookieValue(r, "immich_access_token"),
	)
	key := firstNonEmpty(r.Header.Get("x-api-key"), r.URL.Query().Get("apiKey"))

	a := &Auth{}
	err := s.store.view(func(st *State) error {
		var user *User
		switch {
		case token != "":
			sess := st.sessionByTokenHash(sha256Hex(token))
			if sess != nil {
				user = st.userByID(sess.UserID)
				a.SessionID = sess.ID
			}
			if user == nil || user.DeletedAt != nil {
				return unauthorized("Invalid user token")
			}
		case key != "":
			k := st.apiKeyByHash(sha256Hex(key))
			if k != nil {
				user = st.userByID(k.UserID)
				kc := *k
				a.APIKey = &kc
			}
			if user == nil || user.DeletedAt != nil {
				return unauthorized("Invalid API key")
			}
		default:
			return unauthorized("Authentication required")
		}
		a.UserID, a.IsAdmin = user.ID, user.IsAdmin
		return nil
	})
	if err != nil {
		return nil, err
	}
	if acc.admin && !a.IsAdmin {
		return nil, forbidden("Forbidden")
	}
	if a.APIKey != nil && acc.permission != "" && !isGranted([]string{acc.permission}, a.APIKey.Permissions) {
		return nil, forbidden("Missing required permission: " + acc.permission)
	}
	return a, nil
}

// isGranted: "all" grants everything; otherwise every requested permission must be held.
func isGranted(requested, current []string) bool {
	held := map[string]bool{}
	for _, p := range current {
		held[p] = true
	}
	if held["all"] {
		return true
	}
	for _, p := range requested {
		if !held[p] {
			return false
		}
	}
	return true
}

func bearerToken(r *http.Request) string {
	typ, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(typ, "bearer") {
		return strings.TrimSpace(tok)
	}
	return ""
}

func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// --- JSON request bodies ---

// body keeps raw fields so "absent" and "null" can be told apart, which
// matters for quotaSizeInBytes (null = unlimited, absent = unchanged).
type body map[string]json.RawMessage

const maxJSONBody = 1 << 20

func readBody(r *http.Request) (body, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		return nil, badRequest("Unable to read request body")
	}
	if len(data) > maxJSONBody {
		return nil, &httpError{Status: http.StatusRequestEntityTooLarge, Message: "request entity too large"}
	}
	b := body{}
	if len(strings.TrimSpace(string(data))) == 0 {
		return b, nil
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, badRequest("Unexpected JSON in request body: " + err.Error())
	}
	return b, nil
}

func (b body) has(k string) bool { _, ok := b[k]; return ok }

func (b body) isNull(k string) bool { v, ok := b[k]; return ok && string(v) == "null" }

// validator collects class-validator-style messages.
type validator struct{ msgs []string }

func (v *validator) add(format string, args ...any) {
	v.msgs = append(v.msgs, fmt.Sprintf(format, args...))
}

func (v *validator) err() error {
	if len(v.msgs) == 0 {
		return nil
	}
	return badRequest(v.msgs)
}

// str reads an optional string field; ok is false when absent or null.
func (v *validator) str(b body, k string) (s string, ok bool) {
	if !b.has(k) || b.isNull(k) {
		return "", false
	}
	if err := json.Unmarshal(b[k], &s); err != nil {
		v.add("%s must be a string", k)
		return "", false
	}
	return s, true
}

// requiredStr reads a string that must be present and not empty.
func (v *validator) requiredStr(b body, k string) string {
	s, ok := v.str(b, k)
	typeError := !ok && b.has(k) && !b.isNull(k)
	if s == "" && !typeError {
		v.add("%s should not be empty", k)
	}
	return s
}

func (v *validator) email(b body, k string, required bool) (string, bool) {
	s, ok := v.str(b, k)
	if !ok {
		if required {
			v.add("%s must be an email", k)
		}
		return "", false
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if !isEmail(s) {
		v.add("%s must be an email", k)
		return "", false
	}
	return s, true
}

func (v *validator) boolean(b body, k string) (val, ok bool) {
	if !b.has(k) || b.isNull(k) {
		return false, false
	}
	if err := json.Unmarshal(b[k], &val); err != nil {
		v.add("%s must be a boolean value", k)
		return false, false
	}
	return val, true
}

// quota reads quotaSizeInBytes: present says whether it was sent, q is nil for null.
func (v *validator) quota(b body, k string) (q *int64, present bool) {
	if !b.has(k) {
		return nil, false
	}
	if b.isNull(k) {
		return nil, true
	}
	var f float64
	if err := json.Unmarshal(b[k], &f); err != nil || f != float64(int64(f)) {
		v.add("%s must be an integer number", k)
		return nil, false
	}
	if f < 0 {
		v.add("%s must not be less than 0", k)
		return nil, false
	}
	n := int64(f)
	return &n, true
}

func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " \t\r\n") &&
		!strings.Contains(domain, "@") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// iso formats a time the way Immich (JavaScript's toISOString) does.
func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func isoPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := iso(*t)
	return &s
}
