package apiserver

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// readBody reads the whole request body within the size limit.
func (s *Server) readBody(rq *request) ([]byte, error) {
	if rq.r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(rq.r.Body)
	if err != nil {
		return nil, bodyError(err, s.cfg.MaxBodyBytes)
	}
	return b, nil
}

// decodeBody decodes the request body as an object of kind gvk (the default
// when the body omits apiVersion and kind), applying fieldValidation.
func (s *Server) decodeBody(rq *request, gvk schema.GroupVersionKind) (runtime.Object, error) {
	body, err := s.readBody(rq)
	if err != nil {
		return nil, err
	}
	info, ok := contentSerializer(s.codecs, rq.r.Header.Get("Content-Type"))
	if !ok {
		return nil, errUnsupportedMedia(rq.r.Header.Get("Content-Type"), mediaJSON, mediaYAML, mediaProtobuf)
	}
	return s.decodeAs(rq, info, body, gvk)
}

// decodeAs decodes data with info's serializer into a new gvk object.
func (s *Server) decodeAs(rq *request, info runtime.SerializerInfo, data []byte, gvk schema.GroupVersionKind) (runtime.Object, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, apierrors.NewBadRequest("the request body is empty; expected a " + gvk.Kind)
	}
	into, err := s.scheme.New(gvk)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	mode := rq.q.Get("fieldValidation")
	if mode == "" {
		mode = "Warn"
	}
	dec := info.Serializer
	if mode != "Ignore" && info.StrictSerializer != nil {
		dec = info.StrictSerializer
	}
	obj, actual, err := dec.Decode(data, &gvk, into)
	if err != nil {
		strict, isStrict := runtime.AsStrictDecodingError(err)
		if !isStrict || obj == nil || mode == "Strict" {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, err))
		}
		for _, e := range strict.Errors() {
			rq.warnings = append(rq.warnings, strings.ReplaceAll(e.Error(), `"`, `\"`))
		}
	}
	if actual != nil && actual.GroupVersion() != gvk.GroupVersion() {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", actual.GroupVersion(), gvk.GroupVersion()))
	}
	if actual != nil && actual.Kind != gvk.Kind {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the kind in the data (%s) does not match the expected kind (%s)", actual.Kind, gvk.Kind))
	}
	return obj, nil
}

func errUnsupportedMedia(got string, supported ...string) error {
	return apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "", schema.GroupResource{}, "",
		fmt.Sprintf("the body of the request was in an unknown format (%q) - accepted media types include: %s", got, strings.Join(supported, ", ")), 0, false)
}
