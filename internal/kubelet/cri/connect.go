package cri

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	internalapi "k8s.io/cri-api/pkg/apis"
	remote "k8s.io/cri-client/pkg"
)

// Timeout bounds every CRI call made through the clients Connect returns, and
// the initial connection check. Image pulls are given the upstream multiple
// of it by cri-client itself.
const Timeout = 2 * time.Minute

// Connect dials the runtime at endpoint (unix:///path/to.sock) and checks that
// it speaks CRI v1 (a Version call); it fails with the endpoint named if the
// runtime does not answer within Timeout or ctx.
func Connect(ctx context.Context, endpoint string, log *slog.Logger) (internalapi.RuntimeService, internalapi.ImageManagerService, error) {
	if endpoint == "" {
		return nil, nil, errors.New("connect CRI: empty endpoint")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rs, err := remote.NewRemoteRuntimeServiceBuilder().
		WithEndpoint(endpoint).
		WithConnectionTimeout(Timeout).
		WithTracerProvider(nil).
		WithUseStreaming(false).
		Build(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("connect CRI runtime service %s: %w", endpoint, err)
	}
	is, err := remote.NewRemoteImageServiceBuilder().
		WithEndpoint(endpoint).
		WithConnectionTimeout(Timeout).
		WithTracerProvider(nil).
		WithUseStreaming(false).
		Build(ctx)
	if err != nil {
		_ = rs.Close(ctx)
		return nil, nil, fmt.Errorf("connect CRI image service %s: %w", endpoint, err)
	}
	log.Info("connected to container runtime", "endpoint", endpoint)
	return rs, is, nil
}
