package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Tenant mode (STANDIN_TENANTS=1) is for benchmarks only: one process answers many independent photo apps, each
// under its own path prefix /t/<name>/ (so a tenant's API base URL is http://host:port/t/<name>/api), each with
// its own state in <media>/t/<name>/, made on first use. Nothing is shared between tenants: users, API keys and
// sessions of one are unknown to another. STANDIN_PBKDF2_ITERATIONS may lower the password hash's cost so that
// registering a thousand owners does not dominate a benchmark's set-up.
type tenantMux struct {
	root    string
	logOut  io.Writer
	opts    Options
	mu      sync.Mutex
	servers map[string]*Server
}

var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func newTenantMux(mediaRoot string, logOut io.Writer, opts Options) (*tenantMux, error) {
	if v := os.Getenv("STANDIN_PBKDF2_ITERATIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("STANDIN_PBKDF2_ITERATIONS: want a positive number, got %q", v)
		}
		pbkdf2Iterations = n
	}
	return &tenantMux{root: filepath.Join(mediaRoot, "t"), logOut: logOut, opts: opts, servers: map[string]*Server{}}, nil
}

func (t *tenantMux) server(name string) (*Server, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.servers[name]; ok {
		return s, nil
	}
	store, err := OpenStore(filepath.Join(t.root, name))
	if err != nil {
		return nil, err
	}
	s := NewServerWith(store, t.logOut, t.opts)
	t.servers[name] = s
	return s, nil
}

func (t *tenantMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/t/")
	name, path, _ := strings.Cut(rest, "/")
	if !ok || !tenantName.MatchString(name) {
		writeError(w, &httpError{Status: http.StatusNotFound, Message: fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path)})
		return
	}
	s, err := t.server(name)
	if err != nil {
		writeError(w, err)
		return
	}
	inner := r.Clone(r.Context())
	inner.URL.Path = "/" + path
	inner.URL.RawPath = ""
	s.ServeHTTP(w, inner)
}
