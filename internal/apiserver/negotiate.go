package apiserver

import (
	"mime"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Media types the server speaks.
const (
	mediaJSON     = "application/json"
	mediaYAML     = "application/yaml"
	mediaProtobuf = "application/vnd.kubernetes.protobuf"
)

// outputKind is what shape the client asked for, beyond the media type.
type outputKind int

const (
	outputObject outputKind = iota
	outputTable
	outputPartialMetadata
)

// accepted is the chosen response encoding.
type accepted struct {
	info   runtime.SerializerInfo
	kind   outputKind
	pretty bool
}

// negotiate picks the first media type in the Accept header the server can
// produce. ok is false when none is acceptable.
func negotiate(codecs runtime.NegotiatedSerializer, header string, pretty bool) (accepted, bool) {
	if strings.TrimSpace(header) == "" {
		header = "*/*"
	}
	for _, part := range strings.Split(header, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*":
			mt = mediaJSON
		case "application/vnd.kubernetes.protobuf;stream=watch":
			mt = mediaProtobuf
		}
		info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mt)
		if !ok {
			continue
		}
		kind := outputObject
		if as := params["as"]; as != "" {
			if params["g"] != "meta.k8s.io" || (params["v"] != "v1" && params["v"] != "v1beta1") {
				continue
			}
			switch as {
			case "Table":
				kind = outputTable
			case "PartialObjectMetadata", "PartialObjectMetadataList":
				kind = outputPartialMetadata
			default:
				continue
			}
			if params["v"] != "v1" {
				// Only meta.k8s.io/v1 shapes are produced.
				continue
			}
		}
		return accepted{info: info, kind: kind, pretty: pretty || params["pretty"] == "true"}, true
	}
	return accepted{}, false
}

// contentSerializer returns the serializer for a request body's Content-Type.
func contentSerializer(codecs runtime.NegotiatedSerializer, contentType string) (runtime.SerializerInfo, bool) {
	if contentType == "" {
		contentType = mediaJSON
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return runtime.SerializerInfo{}, false
	}
	return runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mt)
}

// errNotAcceptable is upstream's 406 for an Accept header the server cannot
// satisfy.
func errNotAcceptable(accept string) error {
	return apierrors.NewGenericServerResponse(http.StatusNotAcceptable, "", schema.GroupResource{}, "",
		"only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf (asked for "+accept+")", 0, false)
}
