package main

import (
	"context"
	"net"
	"net/http"
	"time"
)

// newOutboundTransport carries every request the stand-in makes
// to the outside (OpenID discovery, JWKS, token and userinfo endpoints).
//
// With edgeSocket set (local stack only, env STANDIN_EDGE_SOCKET) every
// connection is dialled to that unix socket instead of the host in the URL:
// the socket is the edge proxy's, so it stands in for DNS plus the route to
// the edge. The URL and the Host header are left as they are, so the edge
// routes by host exactly as it would for a request from outside (and an
// https URL still does TLS with the URL's host as server name).
func newOutboundTransport(edgeSocket string) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if edgeSocket != "" {
		tr.Proxy = nil // a proxy would take the request somewhere other than the edge
		dialer := &net.Dialer{Timeout: 10 * time.Second}
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", edgeSocket)
		}
	}
	return tr
}
