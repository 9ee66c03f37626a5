package kubelet

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// dockerAuth is one registry entry of a docker config.
type dockerAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Auth     string `json:"auth"`
}

// registryHost returns the registry an image reference pulls from, as
// the docker reference grammar reads it: the first path component when it
// looks like a host (has a dot or a port, or is localhost), else Docker Hub.
func registryHost(image string) string {
	first, _, found := strings.Cut(image, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "docker.io"
}

// configKeyHost normalises a docker config key ("https://index.docker.io/v1/",
// "registry.example.com:5000/path") to a host comparable with registryHost.
func configKeyHost(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	host, _, _ := strings.Cut(key, "/")
	switch host {
	case "index.docker.io", "registry-1.docker.io":
		return "docker.io"
	}
	return host
}

// authFromSecret returns the credentials a pull secret holds for image,
// or nil when it has none for that registry.
func authFromSecret(sec *v1.Secret, image string) (*runtimeapi.AuthConfig, error) {
	var auths map[string]dockerAuth
	switch sec.Type {
	case v1.SecretTypeDockerConfigJson:
		var cfg struct {
			Auths map[string]dockerAuth `json:"auths"`
		}
		if err := json.Unmarshal(sec.Data[v1.DockerConfigJsonKey], &cfg); err != nil {
			return nil, fmt.Errorf("image pull secret %s: %w", sec.Name, err)
		}
		auths = cfg.Auths
	case v1.SecretTypeDockercfg:
		if err := json.Unmarshal(sec.Data[v1.DockerConfigKey], &auths); err != nil {
			return nil, fmt.Errorf("image pull secret %s: %w", sec.Name, err)
		}
	default:
		return nil, nil
	}
	want := registryHost(image)
	for key, a := range auths {
		if configKeyHost(key) != want {
			continue
		}
		if a.Auth != "" && a.Username == "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return nil, fmt.Errorf("image pull secret %s: auth for %s is not base64", sec.Name, key)
			}
			a.Username, a.Password, _ = strings.Cut(string(raw), ":")
		}
		return &runtimeapi.AuthConfig{Username: a.Username, Password: a.Password, ServerAddress: want}, nil
	}
	return nil, nil
}

// pullAuth finds credentials for image among the pod's imagePullSecrets.
// Missing or unusable secrets are reported as upstream does and skipped.
func (k *Kubelet) pullAuth(ctx context.Context, pod *v1.Pod, c *v1.Container) *runtimeapi.AuthConfig {
	var missing []string
	defer func() {
		if len(missing) > 0 {
			k.event(pod, nil, v1.EventTypeWarning, "FailedToRetrieveImagePullSecret",
				fmt.Sprintf("Unable to retrieve some image pull secrets (%s); attempting to pull the image may not succeed.", strings.Join(missing, ", ")))
		}
	}()
	for _, ref := range pod.Spec.ImagePullSecrets {
		sec, err := k.cfg.Client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			missing = append(missing, ref.Name)
			continue
		}
		auth, err := authFromSecret(sec, c.Image)
		if err != nil {
			k.log.Warn("unusable image pull secret", "pod", pod.Namespace+"/"+pod.Name, "err", err)
			continue
		}
		if auth != nil {
			return auth
		}
	}
	return nil
}
