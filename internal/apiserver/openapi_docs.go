package apiserver

import (
	"net/http"
	"sync"

	"github.com/capstan/capstan/internal/apiserver/openapi"
)

// openAPIResources describes the served resources for the OpenAPI builder.
func (s *Server) openAPIResources() []openapi.Resource {
	var out []openapi.Resource
	for _, r := range s.resources {
		if r.createOnly() {
			continue
		}
		or := openapi.Resource{GroupVersionKind: r.GVK, Resource: r.Plural, Namespaced: r.Namespaced, Verbs: r.Verbs()}
		for _, sub := range r.Subresources {
			if sub == "proxy" || kubeletPath(sub) != "" {
				continue // connect subresources (streams to kubelets) carry no schema
			}
			gvk, verbs := r.subresourceInfo(sub)
			or.Subresources = append(or.Subresources, openapi.Subresource{Name: sub, GroupVersionKind: gvk, Verbs: verbs})
		}
		out = append(out, or)
	}
	return out
}

// lazyOpenAPI builds the OpenAPI documents on first use: building them costs
// a few hundred milliseconds and much garbage, which start-up should not pay.
type lazyOpenAPI struct {
	s    *Server
	once sync.Once
	mux  *http.ServeMux
	err  error
}

func (l *lazyOpenAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.once.Do(func() {
		docs, err := openapi.New(l.s.openAPIResources(), l.s.cfg.Version.GitVersion)
		if err != nil {
			l.err = err
			l.s.log.Error("build OpenAPI documents", "err", err)
			return
		}
		l.mux = http.NewServeMux()
		docs.Register(l.mux)
	})
	if l.err != nil {
		l.s.writeError(w, r, l.err)
		return
	}
	l.mux.ServeHTTP(w, r)
}

func (s *Server) registerOpenAPI(mux *http.ServeMux) {
	l := &lazyOpenAPI{s: s}
	mux.Handle("/openapi/v2", l)
	mux.Handle("/openapi/v3", l)
	mux.Handle("/openapi/v3/", l)
}
