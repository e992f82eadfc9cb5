// Command photo-app-standin answers the part of Immich's REST API that
// Photoplane's Immich adapter calls, for tests where the real Immich image
// cannot be pulled. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	healthcheck := flag.Bool("healthcheck", false, "GET /api/server/ping on 127.0.0.1:$IMMICH_PORT and exit 0 when it answers pong")
	flag.Parse()

	port := envOr("IMMICH_PORT", "2283")
	if *healthcheck {
		os.Exit(runHealthcheck(port))
	}

	mediaRoot := envOr("IMMICH_MEDIA_LOCATION", envOr("UPLOAD_LOCATION", "/data"))
	store, err := OpenStore(mediaRoot)
	if err != nil {
		fmt.Fprintf(os.Stderr, "photo-app-standin: %v\n", err)
		os.Exit(1)
	}
	if v, ok := os.LookupEnv("STANDIN_STORAGE_TEMPLATE"); ok {
		enabled := v != "false" && v != "0"
		_ = store.update(func(st *State) error { st.Config.StorageTemplateEnabled = enabled; return nil })
	}

	opts := Options{EdgeSocket: os.Getenv("STANDIN_EDGE_SOCKET")}
	var handler http.Handler = NewServerWith(store, os.Stdout, opts)
	if os.Getenv("STANDIN_TENANTS") == "1" {
		handler, err = newTenantMux(mediaRoot, os.Stdout, opts)
		if err != nil {
			fmt.Fprintf(os.Stderr, "photo-app-standin: %v\n", err)
			os.Exit(1)
		}
	}
	srv := &http.Server{
		Addr:              net.JoinHostPort(envOr("IMMICH_HOST", "0.0.0.0"), port),
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
	}

	// PID 1 under docker-init: stop accepting, finish in-flight requests, exit.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Printf("photo-app-standin (Immich API v%d.%d.%d) listening on %s, media at %s\n",
		versionMajor, versionMinor, versionPatch, srv.Addr, mediaRoot)
	if sock := os.Getenv("STANDIN_EDGE_SOCKET"); sock != "" {
		fmt.Printf("photo-app-standin: outgoing HTTP requests go through the edge socket %s\n", sock)
	}

	select {
	case err := <-errc:
		fmt.Fprintf(os.Stderr, "photo-app-standin: %v\n", err)
		os.Exit(1)
	case <-ctx.Done():
	}
	fmt.Println("photo-app-standin: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "photo-app-standin: shutdown: %v\n", err)
		os.Exit(1)
	}
}

// runHealthcheck is for the image's HEALTHCHECK: there is no curl or wget in it.
func runHealthcheck(port string) int {
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort("127.0.0.1", port) + "/api/server/ping")
	if err != nil {
		fmt.Fprintln(os.Stderr, "unhealthy:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "unhealthy: status", resp.StatusCode)
		return 1
	}
	return 0
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
