package apiserver

import (
	"fmt"
	"mime"
	"net/http"

	"encoding/json"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// patch applies the request's patch document to cur (the client's view of
// the stored object) and decodes the result as a new gvk object, with the
// request's field validation.
func (s *Server) patch(rq *request, gvk schema.GroupVersionKind, cur runtime.Object, body []byte) (runtime.Object, error) {
	mt, _, err := mime.ParseMediaType(rq.r.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	s.setKind(cur)
	curJSON, err := json.Marshal(cur)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("encode current object: %w", err))
	}
	patched, err := applyPatch(types.PatchType(mt), curJSON, body, cur)
	if err != nil {
		return nil, err
	}
	info, _ := contentSerializer(s.codecs, mediaJSON)
	return s.decodeAs(rq, info, patched, gvk)
}

// applyPatch applies one patch document of type pt to original.
// schemaObj is a typed object used for strategic merge patch directives.
func applyPatch(pt types.PatchType, original, doc []byte, schemaObj runtime.Object) ([]byte, error) {
	switch pt {
	case types.JSONPatchType:
		p, err := jsonpatch.DecodePatch(doc)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding patch: %v", err))
		}
		out, err := p.Apply(original)
		if err != nil {
			return nil, statusError(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid, err.Error())
		}
		return out, nil
	case types.MergePatchType:
		if !json.Valid(doc) {
			return nil, apierrors.NewBadRequest("error decoding patch: invalid JSON document")
		}
		out, err := jsonpatch.MergePatch(original, doc)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("error applying merge patch: %v", err))
		}
		return out, nil
	case types.StrategicMergePatchType:
		var patchMap map[string]any
		if err := json.Unmarshal(doc, &patchMap); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding patch: %v", err))
		}
		out, err := strategicpatch.StrategicMergePatch(original, doc, schemaObj)
		if err != nil {
			return nil, statusError(http.StatusUnprocessableEntity, metav1.StatusReasonInvalid, err.Error())
		}
		return out, nil
	case types.ApplyYAMLPatchType, types.ApplyCBORPatchType:
		return nil, errUnsupportedMedia(string(pt), string(types.JSONPatchType), string(types.MergePatchType), string(types.StrategicMergePatchType)+" (server-side apply is not supported yet)")
	}
	return nil, errUnsupportedMedia(string(pt), string(types.JSONPatchType), string(types.MergePatchType), string(types.StrategicMergePatchType))
}
