package manager

import (
	"log/slog"
	"net"
	"slices"
	"testing"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/metadata"
	metadatafake "k8s.io/client-go/metadata/fake"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/record"

	"github.com/capstan/capstan/internal/apiserver/authz"
	"github.com/capstan/capstan/internal/pki"
)

// TestEveryControllerHasARole builds the in-tree controllers and checks
// that each asked for its own identity, and that the default policy has a
// system:controller:<name> role for every identity asked for (the policy
// may hold roles of controllers not built in this configuration).
func TestEveryControllerHasARole(t *testing.T) {
	cs := fake.NewClientset()
	meta := metadatafake.NewSimpleMetadataClient(metadatafake.NewTestScheme())
	ca, err := pki.NewCA("test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, cidr, _ := net.ParseCIDR("10.42.0.0/16")
	var asked []string
	cc := controllerContext{
		Log: slog.New(slog.DiscardHandler), Client: cs, Metadata: meta, Discovery: cs.Discovery(),
		Informers: informers.NewSharedInformerFactory(cs, 0), MetadataInformers: metadatainformer.NewSharedInformerFactory(meta, 0),
		CA: ca, ClusterCIDR: cidr, NodeCIDRMaskSize: 24,
		Recorder: func(string) record.EventRecorder { return record.NewFakeRecorder(10) },
		ClientFor: func(sa string) (kubernetes.Interface, metadata.Interface, error) {
			asked = append(asked, sa)
			return cs, meta, nil
		},
	}
	ctrls, err := inTree(cc)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != len(ctrls) {
		t.Errorf("%d controllers built but %d identities asked for (%v): every builder must call cc.as", len(ctrls), len(asked), asked)
	}
	roles := authz.ControllerServiceAccounts()
	for _, sa := range asked {
		if !slices.Contains(roles, sa) {
			t.Errorf("controller identity %q has no role system:controller:%s in the default policy", sa, sa)
		}
	}
}
