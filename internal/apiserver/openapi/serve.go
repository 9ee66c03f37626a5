package openapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	openapiv3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
)

// Media types of the documents. Clients ask for protobuf under two
// spellings; the server answers with the dotted one, as upstream does.
const (
	mediaJSON           = "application/json"
	mediaProtoV2        = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
	mediaProtoV2Old     = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
	mediaProtoV3        = "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"
	mediaProtoV3Old     = "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"
	v3Prefix            = "/openapi/v3/"
	immutableCacheFor   = 365 * 24 * time.Hour
	immutableCacheValue = "public, immutable"
)

// body is one encoded response with its strong ETag; the gzip form is
// made on first use.
type body struct {
	contentType string
	data        []byte
	hash        string // upper-case hex SHA-512 of data; quoted, it is the ETag
	gzipOnce    sync.Once
	gzipped     []byte
}

func newBody(data []byte, contentType string) *body {
	return &body{contentType: contentType, data: data, hash: fmt.Sprintf("%X", sha512.Sum512(data))}
}

func (b *body) etag() string { return strconv.Quote(b.hash) }

// write sends the body, honouring If-None-Match, HEAD and gzip.
func (b *body) write(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", b.contentType)
	h.Set("Etag", b.etag())
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, b.etag()) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	data := b.data
	if acceptsGzip(r) {
		b.gzipOnce.Do(func() { b.gzipped = gzipBytes(b.data) })
		data = b.gzipped
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

func etagMatches(header, etag string) bool {
	for _, candidate := range strings.Split(header, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == etag || candidate == "*" {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") && !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") {
			return true
		}
	}
	return false
}

func gzipBytes(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // only fails on a bad level
	_, _ = zw.Write(data)                              // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return buf.Bytes()
}

// protoEncoder turns a document's JSON into its protobuf form.
type protoEncoder func(jsonDoc []byte) ([]byte, error)

func protoV2(jsonDoc []byte) ([]byte, error) {
	doc, err := openapiv2.ParseDocument(jsonDoc)
	if err != nil {
		return nil, fmt.Errorf("parse openapi v2 document: %w", err)
	}
	return proto.Marshal(doc)
}

func protoV3(jsonDoc []byte) ([]byte, error) {
	doc, err := openapiv3.ParseDocument(jsonDoc)
	if err != nil {
		return nil, fmt.Errorf("parse openapi v3 document: %w", err)
	}
	return proto.Marshal(doc)
}

// document is one OpenAPI document in JSON, and in protobuf once asked for.
type document struct {
	json      *body
	encode    protoEncoder
	protoType string
	protoOnce sync.Once
	proto     *body
	protoErr  error
}

func newDocument(doc json.Marshaler, encode protoEncoder, protoType string) (*document, error) {
	data, err := doc.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &document{json: newBody(data, mediaJSON), encode: encode, protoType: protoType}, nil
}

// protobuf returns the protobuf form, encoding it on first use.
func (d *document) protobuf() (*body, error) {
	d.protoOnce.Do(func() {
		data, err := d.encode(d.json.data)
		if err != nil {
			d.protoErr = err
			return
		}
		d.proto = newBody(data, d.protoType)
	})
	return d.proto, d.protoErr
}
