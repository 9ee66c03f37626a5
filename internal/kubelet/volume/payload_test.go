package volume

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestConfigMapPayload(t *testing.T) {
	cm := &v1.ConfigMap{
		Data:       map[string]string{"a": "1", "b": "2"},
		BinaryData: map[string][]byte{"bin": {0, 1}},
	}
	tests := []struct {
		name     string
		cm       *v1.ConfigMap
		items    []v1.KeyToPath
		optional bool
		want     map[string]File
		wantErr  string
	}{
		{name: "all keys", cm: cm, want: map[string]File{
			"a": {Data: []byte("1"), Mode: 0o644}, "b": {Data: []byte("2"), Mode: 0o644}, "bin": {Data: []byte{0, 1}, Mode: 0o644},
		}},
		{name: "items with path and mode", cm: cm, items: []v1.KeyToPath{
			{Key: "a", Path: "dir/x"}, {Key: "bin", Path: "y", Mode: ptr.To[int32](0o400)},
		}, want: map[string]File{"dir/x": {Data: []byte("1"), Mode: 0o644}, "y": {Data: []byte{0, 1}, Mode: 0o400}}},
		{name: "missing key", cm: cm, items: []v1.KeyToPath{{Key: "zz", Path: "z"}},
			wantErr: "configmap references non-existent config key: zz"},
		{name: "missing key optional", cm: cm, optional: true, items: []v1.KeyToPath{{Key: "zz", Path: "z"}, {Key: "a", Path: "a"}},
			want: map[string]File{"a": {Data: []byte("1"), Mode: 0o644}}},
		{name: "absent optional configmap", cm: nil, optional: true, want: map[string]File{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configMapPayload(tt.cm, tt.items, 0o644, tt.optional)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestSecretPayload(t *testing.T) {
	s := &v1.Secret{Data: map[string][]byte{"user": []byte("root")}}
	got, err := secretPayload(s, nil, 0o400, false)
	if err != nil || !reflect.DeepEqual(got, map[string]File{"user": {Data: []byte("root"), Mode: 0o400}}) {
		t.Fatalf("got %v, %v", got, err)
	}
	_, err = secretPayload(s, []v1.KeyToPath{{Key: "pw", Path: "pw"}}, 0o400, false)
	if err == nil || err.Error() != "secret references non-existent secret key: pw" {
		t.Fatalf("err = %v", err)
	}
}

func TestPodFieldValue(t *testing.T) {
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: "p", Namespace: "ns", UID: "u1",
		Labels:      map[string]string{"b": "2", "a": "x\"y"},
		Annotations: map[string]string{"k": "v"},
	}}
	tests := []struct {
		path, want, wantErr string
	}{
		{path: "metadata.name", want: "p"},
		{path: "metadata.namespace", want: "ns"},
		{path: "metadata.uid", want: "u1"},
		{path: "metadata.labels", want: "a=\"x\\\"y\"\nb=\"2\""},
		{path: "metadata.annotations", want: `k="v"`},
		{path: "metadata.labels['b']", want: "2"},
		{path: "spec.bogus", wantErr: "unsupported fieldPath: spec.bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := podFieldValue(pod, tt.path)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestContainerResourceValue(t *testing.T) {
	pod := &v1.Pod{Spec: v1.PodSpec{Containers: []v1.Container{{
		Name: "c",
		Resources: v1.ResourceRequirements{
			Limits:   v1.ResourceList{v1.ResourceMemory: resource.MustParse("64Mi")},
			Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse("250m")},
		},
	}}}}
	alloc := v1.ResourceList{v1.ResourceCPU: resource.MustParse("2")}
	tests := []struct {
		resource, divisor, want, wantErr string
	}{
		{resource: "limits.memory", want: "67108864"},
		{resource: "limits.memory", divisor: "1Mi", want: "64"},
		{resource: "requests.cpu", want: "1"}, // 250m rounds up to 1
		{resource: "requests.cpu", divisor: "1m", want: "250"},
		{resource: "limits.cpu", want: "2"}, // falls back to allocatable
		{resource: "limits.gpu", wantErr: "unsupported container resource: limits.gpu"},
	}
	for _, tt := range tests {
		t.Run(tt.resource+"/"+tt.divisor, func(t *testing.T) {
			ref := &v1.ResourceFieldSelector{ContainerName: "c", Resource: tt.resource}
			if tt.divisor != "" {
				ref.Divisor = resource.MustParse(tt.divisor)
			}
			got, err := containerResourceValue(pod, ref, alloc)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestProjectedPayload(t *testing.T) {
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}
	vol := &v1.ProjectedVolumeSource{DefaultMode: ptr.To[int32](0o600), Sources: []v1.VolumeProjection{
		{ServiceAccountToken: &v1.ServiceAccountTokenProjection{Path: "token"}},
		{ConfigMap: &v1.ConfigMapProjection{LocalObjectReference: v1.LocalObjectReference{Name: "root-ca"},
			Items: []v1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
		{DownwardAPI: &v1.DownwardAPIProjection{Items: []v1.DownwardAPIVolumeFile{
			{Path: "namespace", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
	}}
	src := projectedSources{
		configMap: func(name string, _ bool) (*v1.ConfigMap, error) {
			return &v1.ConfigMap{Data: map[string]string{"ca.crt": "CA"}}, nil
		},
		token: func(*v1.ServiceAccountTokenProjection) ([]byte, error) { return []byte("tok"), nil },
	}
	got, err := projectedPayload(pod, vol, nil, src)
	want := map[string]File{
		"token":     {Data: []byte("tok"), Mode: 0o600},
		"ca.crt":    {Data: []byte("CA"), Mode: 0o600},
		"namespace": {Data: []byte("ns"), Mode: 0o600},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	src.token = func(*v1.ServiceAccountTokenProjection) ([]byte, error) {
		return nil, errors.New("failed to fetch token: boom")
	}
	if _, err := projectedPayload(pod, vol, nil, src); err == nil || !strings.Contains(err.Error(), "failed to fetch token") {
		t.Fatalf("err = %v", err)
	}
}
