package daemon

import "net/http"

// mounter adds a handler to the web server beside the metrics, e.g. the
// service discovery endpoint of the standalone collector.
type mounter func(pattern string, h http.Handler)

type route struct {
	pattern string
	handler http.Handler
}

// withRoutes serves routes in front of handler, which keeps every other path.
func withRoutes(handler http.Handler, routes []route) http.Handler {
	if len(routes) == 0 {
		return handler
	}
	mux := http.NewServeMux()
	for _, r := range routes {
		mux.Handle(r.pattern, r.handler)
	}
	mux.Handle("/", handler)
	return mux
}
