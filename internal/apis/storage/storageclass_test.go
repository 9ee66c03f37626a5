package storage

import (
	"testing"

	storagev1 "k8s.io/api/storage/v1"
)

func TestStorageClass(t *testing.T) {
	sc := &storagev1.StorageClass{Provisioner: "rancher.io/local-path", Parameters: map[string]string{"a": "b"}}
	DefaultStorageClass(sc)
	if errs := ValidateStorageClass(sc); len(errs) != 0 {
		t.Fatalf("valid class: %v", errs)
	}
	missing := sc.DeepCopy()
	missing.Provisioner = ""
	if errs := ValidateStorageClass(missing); len(errs) != 1 || errs[0].Field != "provisioner" {
		t.Errorf("missing provisioner: %v", errs)
	}
	changed := sc.DeepCopy()
	changed.Parameters["a"] = "c"
	if errs := ValidateStorageClassUpdate(changed, sc); len(errs) != 1 || errs[0].Field != "parameters" {
		t.Errorf("parameters change: %v", errs)
	}
}
