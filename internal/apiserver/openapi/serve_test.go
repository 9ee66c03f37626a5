package openapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestNegotiate(t *testing.T) {
	offers := []string{mediaJSON, mediaProtoV2, mediaProtoV2Old}
	tests := []struct{ accept, want string }{
		{"", mediaJSON},
		{"*/*", mediaJSON},
		{"application/json", mediaJSON},
		{mediaProtoV2Old, mediaProtoV2Old},
		{mediaProtoV2 + ", application/json", mediaProtoV2},
		{"application/json;q=0.5, " + mediaProtoV2Old, mediaProtoV2Old},
		{"text/html", ""},
		{"application/json;q=0", ""},
		{"application/*", mediaJSON},
	}
	for _, tt := range tests {
		if got := negotiate(tt.accept, offers); got != tt.want {
			t.Errorf("negotiate(%q) = %q, want %q", tt.accept, got, tt.want)
		}
	}
}

func TestETagMatches(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{`"ABC"`, true},
		{`W/"ABC"`, true},
		{`"X", "ABC"`, true},
		{`*`, true},
		{`"ABD"`, false},
		{`ABC`, false},
	}
	for _, tt := range tests {
		if got := etagMatches(tt.header, `"ABC"`); got != tt.want {
			t.Errorf("etagMatches(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"deflate, gzip;q=1.0", true},
		{"GZIP", true},
		{"gzip;q=0", false},
		{"identity", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Encoding", tt.header)
		if got := acceptsGzip(r); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

// TestBodyWrite covers conditional requests, HEAD, gzip and methods.
func TestBodyWrite(t *testing.T) {
	d, err := New(testResources(), "v1.33.0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.Register(mux)
	etag := d.v2.json.etag()
	tests := []struct {
		name, method, ifNoneMatch, encoding string
		wantStatus                          int
		wantBody                            []byte
		wantEncoding                        string
	}{
		{"plain", http.MethodGet, "", "", 200, d.v2.json.data, ""},
		{"not modified", http.MethodGet, etag, "", 304, nil, ""},
		{"modified", http.MethodGet, `"OTHER"`, "", 200, d.v2.json.data, ""},
		{"head", http.MethodHead, "", "", 200, nil, ""},
		{"gzip", http.MethodGet, "", "gzip", 200, d.v2.json.data, "gzip"},
		{"post", http.MethodPost, "", "", 405, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/openapi/v2", nil)
			r.Header.Set("Accept", "application/json")
			if tt.ifNoneMatch != "" {
				r.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			if tt.encoding != "" {
				r.Header.Set("Accept-Encoding", tt.encoding)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("content encoding %q, want %q", got, tt.wantEncoding)
			}
			got := w.Body.Bytes()
			if tt.wantEncoding == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(got))
				if err != nil {
					t.Fatal(err)
				}
				if got, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if tt.wantStatus == 200 && !bytes.Equal(got, tt.wantBody) {
				t.Errorf("body of %d bytes, want %d", len(got), len(tt.wantBody))
			}
			if tt.wantStatus == 200 && w.Header().Get("Etag") != etag {
				t.Errorf("ETag %q, want %q", w.Header().Get("Etag"), etag)
			}
		})
	}
}
