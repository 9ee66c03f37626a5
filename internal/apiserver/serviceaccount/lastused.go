package serviceaccount

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// SecretLabeler is the LastUsedRecorder of a running server: it sets
// LastUsedLabel with a merge patch through the API, as upstream's
// authenticator does with its loopback client.
type SecretLabeler struct {
	Client kubernetes.Interface
}

var _ LastUsedRecorder = SecretLabeler{}

// RecordLegacyTokenUse implements LastUsedRecorder.
func (l SecretLabeler) RecordLegacyTokenUse(ctx context.Context, namespace, secret, day string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{LastUsedLabel: day}}})
	if err != nil {
		return fmt.Errorf("last-used patch: %w", err)
	}
	if _, err := l.Client.CoreV1().Secrets(namespace).Patch(ctx, secret, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("label secret %s/%s last used: %w", namespace, secret, err)
	}
	return nil
}
