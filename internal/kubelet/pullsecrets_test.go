package kubelet

import (
	"encoding/base64"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestAuthFromSecret(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cfgJSON := `{"auths":{"https://index.docker.io/v1/":{"auth":"` + b64("hub:pw1") + `"},` +
		`"registry.example.com:5000":{"username":"u2","password":"pw2"},"localhost:5001/ignored/path":{"auth":"` + b64("u3:pw:3") + `"}}}`
	jsonSecret := &v1.Secret{Type: v1.SecretTypeDockerConfigJson, Data: map[string][]byte{v1.DockerConfigJsonKey: []byte(cfgJSON)}}
	legacy := &v1.Secret{Type: v1.SecretTypeDockercfg, Data: map[string][]byte{v1.DockerConfigKey: []byte(`{"quay.io":{"auth":"` + b64("q:pw4") + `"}}`)}}
	for _, tc := range []struct {
		sec            *v1.Secret
		image          string
		user, password string
	}{
		{jsonSecret, "busybox", "hub", "pw1"},
		{jsonSecret, "library/nginx:1.27", "hub", "pw1"},
		{jsonSecret, "docker.io/library/nginx", "hub", "pw1"},
		{jsonSecret, "registry.example.com:5000/team/app:v1", "u2", "pw2"},
		{jsonSecret, "registry.example.com/team/app", "", ""},
		{jsonSecret, "localhost:5001/x", "u3", "pw:3"},
		{legacy, "quay.io/org/img@sha256:abc", "q", "pw4"},
		{legacy, "busybox", "", ""},
		{&v1.Secret{Type: v1.SecretTypeOpaque}, "busybox", "", ""},
	} {
		auth, err := authFromSecret(tc.sec, tc.image)
		if err != nil {
			t.Fatalf("%s: %v", tc.image, err)
		}
		var user, pw string
		if auth != nil {
			user, pw = auth.Username, auth.Password
		}
		if user != tc.user || pw != tc.password {
			t.Errorf("%s: got %q/%q, want %q/%q", tc.image, user, pw, tc.user, tc.password)
		}
	}
	bad := &v1.Secret{Type: v1.SecretTypeDockerConfigJson, Data: map[string][]byte{v1.DockerConfigJsonKey: []byte("{")}}
	if _, err := authFromSecret(bad, "busybox"); err == nil {
		t.Error("malformed docker config accepted")
	}
}
