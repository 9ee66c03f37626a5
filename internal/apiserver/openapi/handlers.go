package openapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/munnerz/goautoneg"
)

// Register mounts GET /openapi/v2, /openapi/v3 and /openapi/v3/<path> on mux.
func (d *Documents) Register(mux *http.ServeMux) {
	mux.HandleFunc("/openapi/v2", d.serveV2)
	mux.HandleFunc("/openapi/v3", d.serveV3Index)
	mux.HandleFunc(v3Prefix, d.serveV3GroupVersion)
}

func (d *Documents) serveV2(w http.ResponseWriter, r *http.Request) {
	if !readOnly(w, r) {
		return
	}
	d.serveDocument(w, r, d.v2, mediaProtoV2, mediaProtoV2Old)
}

func (d *Documents) serveV3Index(w http.ResponseWriter, r *http.Request) {
	if !readOnly(w, r) {
		return
	}
	d.v3Index.write(w, r)
}

// serveV3GroupVersion serves one group-version document. A request whose
// hash is not the current one is redirected to the current URL; a request
// with the current hash may be cached forever.
func (d *Documents) serveV3GroupVersion(w http.ResponseWriter, r *http.Request) {
	if !readOnly(w, r) {
		return
	}
	key := strings.TrimPrefix(r.URL.Path, v3Prefix)
	doc, ok := d.v3[key]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if hash := r.URL.Query().Get("hash"); hash != "" {
		if hash != doc.json.hash {
			http.Redirect(w, r, v3Prefix+key+"?hash="+doc.json.hash, http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Cache-Control", immutableCacheValue)
		w.Header().Set("Expires", time.Now().Add(immutableCacheFor).UTC().Format(http.TimeFormat))
	}
	d.serveDocument(w, r, doc, mediaProtoV3, mediaProtoV3Old)
}

// serveDocument answers in the first media type of the Accept header that
// the document offers: JSON or protobuf (under either spelling).
func (d *Documents) serveDocument(w http.ResponseWriter, r *http.Request, doc *document, protoTypes ...string) {
	w.Header().Add("Vary", "Accept")
	switch negotiate(r.Header.Get("Accept"), append([]string{mediaJSON}, protoTypes...)) {
	case "":
		http.Error(w, "only application/json and protobuf OpenAPI documents are served", http.StatusNotAcceptable)
	case mediaJSON:
		doc.json.write(w, r)
	default:
		pb, err := doc.protobuf()
		if err != nil {
			http.Error(w, "encode OpenAPI document as protobuf: "+err.Error(), http.StatusInternalServerError)
			return
		}
		pb.write(w, r)
	}
}

// negotiate returns the first of offers the Accept header allows, by the
// header's preference order; "" when none is acceptable. An empty header
// accepts anything.
func negotiate(accept string, offers []string) string {
	if strings.TrimSpace(accept) == "" {
		return offers[0]
	}
	for _, clause := range goautoneg.ParseAccept(accept) {
		if clause.Q <= 0 {
			continue
		}
		for _, offer := range offers {
			typ, sub, _ := strings.Cut(offer, "/")
			if (clause.Type == typ || clause.Type == "*") && (clause.SubType == sub || clause.SubType == "*") {
				return offer
			}
		}
	}
	return ""
}

// readOnly answers 405 to anything but GET and HEAD.
func readOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}
