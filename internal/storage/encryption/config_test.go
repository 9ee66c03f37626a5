package encryption

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func gr(group, resource string) schema.GroupResource {
	return schema.GroupResource{Group: group, Resource: resource}
}

const header = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"yaml syntax", header + "resources:\n- resources: [secrets\n", "yaml: line 3: did not find expected"},
		{"unknown field", header + "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  extra: 1\n", "line 7: field extra not found"},
		{"wrong kind", "apiVersion: v1\nkind: ConfigMap\n", `apiVersion "v1" kind "ConfigMap"`},
		{"no resources", header, "at least one entry"},
		{"empty", "", "the document is empty"},
		{"no providers", header + "resources:\n- resources: [secrets]\n", "line 4: resources[0].providers: at least one provider"},
		{"bad key length", header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: k1\n        secret: " + key(10, 1) + "\n",
			"line 8: resources[0].providers[0].aescbc.keys[0]: key \"k1\": secret is 10 bytes, aescbc needs one of [16 24 32]"},
		{"secretbox short key", header + "resources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys:\n      - name: k1\n        secret: " + key(16, 1) + "\n",
			"line 8: resources[0].providers[0].secretbox.keys[0]: key \"k1\": secret is 16 bytes, secretbox needs one of [32]"},
		{"not base64", header + "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: k1\n        secret: '%%%'\n", "line 8: resources[0].providers[0].aesgcm.keys[0]: key \"k1\": secret is not valid base64"},
		{"colon in name", header + "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: a:b\n        secret: " + key(32, 1) + "\n", "must not contain ':'"},
		{"duplicate key", header + "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: a\n        secret: " + key(32, 1) + "\n      - name: a\n        secret: " + key(32, 1) + "\n", "line 10: resources[0].providers[0].aesgcm.keys[1]: duplicate key name \"a\""},
		{"no keys", header + "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys: []\n", "line 7: resources[0].providers[0].aesgcm.keys: at least one key"},
		{"two providers in one entry", header + "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n    aesgcm:\n      keys: []\n", "line 6: resources[0].providers[0]: more than one provider"},
		{"kms refused", header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      name: x\n      endpoint: unix:///k.sock\n", "line 7: resources[0].providers[0].kms: KMS providers are not supported"},
		{"bare star", header + "resources:\n- resources: ['*']\n  providers:\n  - identity: {}\n", `line 4: resources[0].resources[0]: "*" is not a valid resource`},
		{"resource wildcard in group position", header + "resources:\n- resources: ['pods.*']\n  providers:\n  - identity: {}\n", `wildcards are only`},
		{"masked by *.*", header + "resources:\n- resources: ['*.*', secrets]\n  providers:\n  - identity: {}\n", `"secrets" is masked by earlier rule "*.*"`},
		{"upper case", header + "resources:\n- resources: [Secrets]\n  providers:\n  - identity: {}\n", "must be lower case"},
		{"masked", header + "resources:\n- resources: ['*.']\n  providers:\n  - identity: {}\n- resources: [configmaps]\n  providers:\n  - identity: {}\n", `line 7: resources[1].resources[0]: "configmaps" is masked by earlier rule "*."`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadNamesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "enc.yaml")
	if err := os.WriteFile(p, []byte(header+"resources: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v does not name the file", err)
	}
	if _, err := Load(p + ".missing"); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestResourceMatching(t *testing.T) {
	doc := header + `resources:
- resources: [secrets, deployments.apps]
  providers:
  - aescbc:
      keys:
      - name: a
        secret: ` + key(32, 1) + `
- resources: ['*.batch']
  providers:
  - aesgcm:
      keys:
      - name: b
        secret: ` + key(32, 2) + `
- resources: ['*.']
  providers:
  - secretbox:
      keys:
      - name: c
        secret: ` + key(32, 3) + `
- resources: ['*.*']
  providers:
  - identity: {}
`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	isGroup := func(s string) bool { return s == "apps" || s == "batch" || strings.Contains(s, ".") }
	kt := c.KeyTransformer("/registry", isGroup)
	for _, tc := range []struct {
		key    string
		gr     schema.GroupResource
		prefix string // "" = stored as is
	}{
		{"/registry/secrets/ns/a", gr("", "secrets"), "k8s:enc:aescbc:v1:a:"},
		{"/registry/apps/deployments/ns/d", gr("apps", "deployments"), "k8s:enc:aescbc:v1:a:"},
		{"/registry/apps/replicasets/ns/d", gr("apps", "replicasets"), ""},
		{"/registry/batch/jobs/ns/j", gr("batch", "jobs"), "k8s:enc:aesgcm:v1:b:"},
		{"/registry/configmaps/ns/c", gr("", "configmaps"), "k8s:enc:secretbox:v1:c:"},
		{"/registry/nodes/n1", gr("", "nodes"), "k8s:enc:secretbox:v1:c:"},
		{"/registry/rbac.authorization.k8s.io/roles/ns/r", gr("rbac.authorization.k8s.io", "roles"), ""},
	} {
		t.Run(tc.key, func(t *testing.T) {
			if got := kt.GroupResource(tc.key); got != tc.gr {
				t.Fatalf("GroupResource = %v, want %v", got, tc.gr)
			}
			out, err := kt.TransformToStorage(context.Background(), []byte("plain"), tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if tc.prefix == "" && string(out) != "plain" || tc.prefix != "" && !strings.HasPrefix(string(out), tc.prefix) {
				t.Fatalf("stored %q, want prefix %q", out, tc.prefix)
			}
			back, _, err := kt.TransformFromStorage(context.Background(), out, tc.key)
			if err != nil || string(back) != "plain" {
				t.Fatalf("read back %q, %v", back, err)
			}
		})
	}
}

func TestUnconfiguredResourceRefusesCiphertext(t *testing.T) {
	c, err := Parse([]byte(header + "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: a\n        secret: " + key(32, 1) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	kt := c.KeyTransformer("/registry", func(string) bool { return false })
	if _, _, err := kt.TransformFromStorage(context.Background(), []byte("k8s:enc:aesgcm:v1:a:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), "/registry/configmaps/a/b"); err == nil {
		t.Fatal("ciphertext of an unconfigured resource read as plaintext")
	}
}
