package kubelet_test

import (
	"github.com/capstan/capstan/internal/kubelet"
	"github.com/capstan/capstan/internal/kubelet/prober"
	"github.com/capstan/capstan/internal/kubelet/volume"
)

// The volume and prober managers plug into the kubelet's interfaces.
var (
	_ kubelet.VolumeManager = (*volume.Manager)(nil)
	_ kubelet.ProbeManager  = (*prober.Manager)(nil)
)
