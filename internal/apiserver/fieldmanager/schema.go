package fieldmanager

import (
	"fmt"
	"strings"

	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/schemaconv"
	"k8s.io/kube-openapi/pkg/validation/spec"
	smdschema "sigs.k8s.io/structured-merge-diff/v6/schema"
	"sigs.k8s.io/structured-merge-diff/v6/typed"

	"github.com/capstan/capstan/internal/apiserver/openapi/generated"
)

// definitionsRefPrefix is how OpenAPI v2 documents reference a definition;
// schemaconv resolves a reference by its last path segment, the model name.
const definitionsRefPrefix = "#/definitions/"

// newParser builds the structured-merge-diff parser of every generated
// OpenAPI definition, keyed by model name (io.k8s.api.apps.v1.Deployment).
func newParser() (*typed.Parser, error) {
	ref := func(name string) spec.Ref {
		return spec.MustCreateRef(definitionsRefPrefix + name)
	}
	models, err := schemaModels(generated.GetOpenAPIDefinitions(ref))
	if err != nil {
		return nil, err
	}
	s, err := schemaconv.ToSchemaFromOpenAPI(models, false)
	if err != nil {
		return nil, fmt.Errorf("convert openapi definitions to merge schema: %w", err)
	}
	return &typed.Parser{Schema: smdschema.Schema{Types: s.Types}}, nil
}

// schemaModels turns generated definitions into the schema map schemaconv
// reads. Model names must not contain '/', since references are resolved by
// their last path segment.
func schemaModels(defs map[string]common.OpenAPIDefinition) (map[string]*spec.Schema, error) {
	models := make(map[string]*spec.Schema, len(defs))
	for name, def := range defs {
		if strings.Contains(name, "/") {
			return nil, fmt.Errorf("openapi model name %q is not a canonical model name", name)
		}
		s := def.Schema
		models[name] = &s
	}
	return models, nil
}
