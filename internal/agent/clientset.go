package agent

import (
	"fmt"
	"net/http"
	"sync"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	admissionregistrationv1 "k8s.io/client-go/kubernetes/typed/admissionregistration/v1"
	admissionregistrationv1alpha1 "k8s.io/client-go/kubernetes/typed/admissionregistration/v1alpha1"
	admissionregistrationv1beta1 "k8s.io/client-go/kubernetes/typed/admissionregistration/v1beta1"
	internalv1alpha1 "k8s.io/client-go/kubernetes/typed/apiserverinternal/v1alpha1"
	appsv1 "k8s.io/client-go/kubernetes/typed/apps/v1"
	appsv1beta1 "k8s.io/client-go/kubernetes/typed/apps/v1beta1"
	appsv1beta2 "k8s.io/client-go/kubernetes/typed/apps/v1beta2"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authenticationv1alpha1 "k8s.io/client-go/kubernetes/typed/authentication/v1alpha1"
	authenticationv1beta1 "k8s.io/client-go/kubernetes/typed/authentication/v1beta1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	authorizationv1beta1 "k8s.io/client-go/kubernetes/typed/authorization/v1beta1"
	autoscalingv1 "k8s.io/client-go/kubernetes/typed/autoscaling/v1"
	autoscalingv2 "k8s.io/client-go/kubernetes/typed/autoscaling/v2"
	batchv1 "k8s.io/client-go/kubernetes/typed/batch/v1"
	batchv1beta1 "k8s.io/client-go/kubernetes/typed/batch/v1beta1"
	certificatesv1 "k8s.io/client-go/kubernetes/typed/certificates/v1"
	certificatesv1alpha1 "k8s.io/client-go/kubernetes/typed/certificates/v1alpha1"
	certificatesv1beta1 "k8s.io/client-go/kubernetes/typed/certificates/v1beta1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	coordinationv1alpha2 "k8s.io/client-go/kubernetes/typed/coordination/v1alpha2"
	coordinationv1beta1 "k8s.io/client-go/kubernetes/typed/coordination/v1beta1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	discoveryv1 "k8s.io/client-go/kubernetes/typed/discovery/v1"
	discoveryv1beta1 "k8s.io/client-go/kubernetes/typed/discovery/v1beta1"
	eventsv1 "k8s.io/client-go/kubernetes/typed/events/v1"
	eventsv1beta1 "k8s.io/client-go/kubernetes/typed/events/v1beta1"
	extensionsv1beta1 "k8s.io/client-go/kubernetes/typed/extensions/v1beta1"
	flowcontrolv1 "k8s.io/client-go/kubernetes/typed/flowcontrol/v1"
	flowcontrolv1beta1 "k8s.io/client-go/kubernetes/typed/flowcontrol/v1beta1"
	flowcontrolv1beta2 "k8s.io/client-go/kubernetes/typed/flowcontrol/v1beta2"
	flowcontrolv1beta3 "k8s.io/client-go/kubernetes/typed/flowcontrol/v1beta3"
	lifecyclev1alpha1 "k8s.io/client-go/kubernetes/typed/lifecycle/v1alpha1"
	networkingv1 "k8s.io/client-go/kubernetes/typed/networking/v1"
	networkingv1beta1 "k8s.io/client-go/kubernetes/typed/networking/v1beta1"
	nodev1 "k8s.io/client-go/kubernetes/typed/node/v1"
	nodev1alpha1 "k8s.io/client-go/kubernetes/typed/node/v1alpha1"
	nodev1beta1 "k8s.io/client-go/kubernetes/typed/node/v1beta1"
	policyv1 "k8s.io/client-go/kubernetes/typed/policy/v1"
	policyv1beta1 "k8s.io/client-go/kubernetes/typed/policy/v1beta1"
	rbacv1 "k8s.io/client-go/kubernetes/typed/rbac/v1"
	rbacv1alpha1 "k8s.io/client-go/kubernetes/typed/rbac/v1alpha1"
	rbacv1beta1 "k8s.io/client-go/kubernetes/typed/rbac/v1beta1"
	resourcev1 "k8s.io/client-go/kubernetes/typed/resource/v1"
	resourcev1alpha3 "k8s.io/client-go/kubernetes/typed/resource/v1alpha3"
	resourcev1beta1 "k8s.io/client-go/kubernetes/typed/resource/v1beta1"
	resourcev1beta2 "k8s.io/client-go/kubernetes/typed/resource/v1beta2"
	schedulingv1 "k8s.io/client-go/kubernetes/typed/scheduling/v1"
	schedulingv1alpha3 "k8s.io/client-go/kubernetes/typed/scheduling/v1alpha3"
	schedulingv1beta1 "k8s.io/client-go/kubernetes/typed/scheduling/v1beta1"
	storagev1 "k8s.io/client-go/kubernetes/typed/storage/v1"
	storagev1alpha1 "k8s.io/client-go/kubernetes/typed/storage/v1alpha1"
	storagev1beta1 "k8s.io/client-go/kubernetes/typed/storage/v1beta1"
	storagemigrationv1 "k8s.io/client-go/kubernetes/typed/storagemigration/v1"
	storagemigrationv1beta1 "k8s.io/client-go/kubernetes/typed/storagemigration/v1beta1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// lazyClientset is a kubernetes.Interface that builds each API group's
// client the first time it is asked for. kubernetes.NewForConfig builds
// all ~55 group clients at once, which runs code in every typed client
// package (about 2.7 MB of the binary paged in) and allocates a RESTClient
// and rate limiter per group, though a node uses half a dozen groups.
// Every group client shares one http.Client, as with NewForConfig.
type lazyClientset struct {
	config *rest.Config
	http   *http.Client

	discovery                     lazyGroup[*discovery.DiscoveryClient]
	admissionregistrationV1       lazyGroup[*admissionregistrationv1.AdmissionregistrationV1Client]
	admissionregistrationV1alpha1 lazyGroup[*admissionregistrationv1alpha1.AdmissionregistrationV1alpha1Client]
	admissionregistrationV1beta1  lazyGroup[*admissionregistrationv1beta1.AdmissionregistrationV1beta1Client]
	internalV1alpha1              lazyGroup[*internalv1alpha1.InternalV1alpha1Client]
	appsV1                        lazyGroup[*appsv1.AppsV1Client]
	appsV1beta1                   lazyGroup[*appsv1beta1.AppsV1beta1Client]
	appsV1beta2                   lazyGroup[*appsv1beta2.AppsV1beta2Client]
	authenticationV1              lazyGroup[*authenticationv1.AuthenticationV1Client]
	authenticationV1alpha1        lazyGroup[*authenticationv1alpha1.AuthenticationV1alpha1Client]
	authenticationV1beta1         lazyGroup[*authenticationv1beta1.AuthenticationV1beta1Client]
	authorizationV1               lazyGroup[*authorizationv1.AuthorizationV1Client]
	authorizationV1beta1          lazyGroup[*authorizationv1beta1.AuthorizationV1beta1Client]
	autoscalingV1                 lazyGroup[*autoscalingv1.AutoscalingV1Client]
	autoscalingV2                 lazyGroup[*autoscalingv2.AutoscalingV2Client]
	batchV1                       lazyGroup[*batchv1.BatchV1Client]
	batchV1beta1                  lazyGroup[*batchv1beta1.BatchV1beta1Client]
	certificatesV1                lazyGroup[*certificatesv1.CertificatesV1Client]
	certificatesV1beta1           lazyGroup[*certificatesv1beta1.CertificatesV1beta1Client]
	certificatesV1alpha1          lazyGroup[*certificatesv1alpha1.CertificatesV1alpha1Client]
	coordinationV1alpha2          lazyGroup[*coordinationv1alpha2.CoordinationV1alpha2Client]
	coordinationV1beta1           lazyGroup[*coordinationv1beta1.CoordinationV1beta1Client]
	coordinationV1                lazyGroup[*coordinationv1.CoordinationV1Client]
	coreV1                        lazyGroup[*corev1.CoreV1Client]
	discoveryV1                   lazyGroup[*discoveryv1.DiscoveryV1Client]
	discoveryV1beta1              lazyGroup[*discoveryv1beta1.DiscoveryV1beta1Client]
	eventsV1                      lazyGroup[*eventsv1.EventsV1Client]
	eventsV1beta1                 lazyGroup[*eventsv1beta1.EventsV1beta1Client]
	extensionsV1beta1             lazyGroup[*extensionsv1beta1.ExtensionsV1beta1Client]
	flowcontrolV1                 lazyGroup[*flowcontrolv1.FlowcontrolV1Client]
	flowcontrolV1beta1            lazyGroup[*flowcontrolv1beta1.FlowcontrolV1beta1Client]
	flowcontrolV1beta2            lazyGroup[*flowcontrolv1beta2.FlowcontrolV1beta2Client]
	flowcontrolV1beta3            lazyGroup[*flowcontrolv1beta3.FlowcontrolV1beta3Client]
	lifecycleV1alpha1             lazyGroup[*lifecyclev1alpha1.LifecycleV1alpha1Client]
	networkingV1                  lazyGroup[*networkingv1.NetworkingV1Client]
	networkingV1beta1             lazyGroup[*networkingv1beta1.NetworkingV1beta1Client]
	nodeV1                        lazyGroup[*nodev1.NodeV1Client]
	nodeV1alpha1                  lazyGroup[*nodev1alpha1.NodeV1alpha1Client]
	nodeV1beta1                   lazyGroup[*nodev1beta1.NodeV1beta1Client]
	policyV1                      lazyGroup[*policyv1.PolicyV1Client]
	policyV1beta1                 lazyGroup[*policyv1beta1.PolicyV1beta1Client]
	rbacV1                        lazyGroup[*rbacv1.RbacV1Client]
	rbacV1beta1                   lazyGroup[*rbacv1beta1.RbacV1beta1Client]
	rbacV1alpha1                  lazyGroup[*rbacv1alpha1.RbacV1alpha1Client]
	resourceV1                    lazyGroup[*resourcev1.ResourceV1Client]
	resourceV1beta2               lazyGroup[*resourcev1beta2.ResourceV1beta2Client]
	resourceV1beta1               lazyGroup[*resourcev1beta1.ResourceV1beta1Client]
	resourceV1alpha3              lazyGroup[*resourcev1alpha3.ResourceV1alpha3Client]
	schedulingV1alpha3            lazyGroup[*schedulingv1alpha3.SchedulingV1alpha3Client]
	schedulingV1beta1             lazyGroup[*schedulingv1beta1.SchedulingV1beta1Client]
	schedulingV1                  lazyGroup[*schedulingv1.SchedulingV1Client]
	storageV1beta1                lazyGroup[*storagev1beta1.StorageV1beta1Client]
	storageV1                     lazyGroup[*storagev1.StorageV1Client]
	storageV1alpha1               lazyGroup[*storagev1alpha1.StorageV1alpha1Client]
	storagemigrationV1            lazyGroup[*storagemigrationv1.StoragemigrationV1Client]
	storagemigrationV1beta1       lazyGroup[*storagemigrationv1beta1.StoragemigrationV1beta1Client]
}

var _ kubernetes.Interface = (*lazyClientset)(nil)

// newLazyClientset validates config as kubernetes.NewForConfig does and
// builds the core/v1 client at once, so a config that cannot make clients
// fails here rather than at first use of a group.
func newLazyClientset(config *rest.Config) (*lazyClientset, error) {
	c := *config
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	httpClient, err := rest.HTTPClientFor(&c)
	if err != nil {
		return nil, fmt.Errorf("build API http client: %w", err)
	}
	if c.RateLimiter == nil && c.QPS > 0 {
		if c.Burst <= 0 {
			return nil, fmt.Errorf("API client: burst must be positive when QPS is set")
		}
		// One limiter for all groups, as kubernetes.NewForConfig does.
		c.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(c.QPS, c.Burst)
	}
	cs := &lazyClientset{config: &c, http: httpClient}
	core, err := corev1.NewForConfigAndClient(cs.config, httpClient)
	if err != nil {
		return nil, fmt.Errorf("build core/v1 client: %w", err)
	}
	cs.coreV1.once.Do(func() { cs.coreV1.client = core })
	return cs, nil
}

// lazyGroup holds one group's client once built.
type lazyGroup[T any] struct {
	once   sync.Once
	client T
}

// get builds the client with newClient on first use. The group
// constructors differ only in constant group/version settings, so once
// newLazyClientset built core/v1 from the same config they cannot fail;
// if one does all the same, that is a client-go defect and get panics,
// as kubernetes.NewForConfigOrDie would.
func (g *lazyGroup[T]) get(cs *lazyClientset, newClient func(*rest.Config, *http.Client) (T, error)) T {
	g.once.Do(func() {
		client, err := newClient(cs.config, cs.http)
		if err != nil {
			panic(fmt.Sprintf("build API group client: %v", err))
		}
		g.client = client
	})
	return g.client
}

// Discovery returns the discovery client.
func (cs *lazyClientset) Discovery() discovery.DiscoveryInterfaces {
	return cs.discovery.get(cs, discovery.NewDiscoveryClientForConfigAndClient)
}

func (cs *lazyClientset) AdmissionregistrationV1() admissionregistrationv1.AdmissionregistrationV1Interface {
	return cs.admissionregistrationV1.get(cs, admissionregistrationv1.NewForConfigAndClient)
}

func (cs *lazyClientset) AdmissionregistrationV1alpha1() admissionregistrationv1alpha1.AdmissionregistrationV1alpha1Interface {
	return cs.admissionregistrationV1alpha1.get(cs, admissionregistrationv1alpha1.NewForConfigAndClient)
}

func (cs *lazyClientset) AdmissionregistrationV1beta1() admissionregistrationv1beta1.AdmissionregistrationV1beta1Interface {
	return cs.admissionregistrationV1beta1.get(cs, admissionregistrationv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) InternalV1alpha1() internalv1alpha1.InternalV1alpha1Interface {
	return cs.internalV1alpha1.get(cs, internalv1alpha1.NewForConfigAndClient)
}

func (cs *lazyClientset) AppsV1() appsv1.AppsV1Interface {
	return cs.appsV1.get(cs, appsv1.NewForConfigAndClient)
}

func (cs *lazyClientset) AppsV1beta1() appsv1beta1.AppsV1beta1Interface {
	return cs.appsV1beta1.get(cs, appsv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) AppsV1beta2() appsv1beta2.AppsV1beta2Interface {
	return cs.appsV1beta2.get(cs, appsv1beta2.NewForConfigAndClient)
}

func (cs *lazyClientset) AuthenticationV1() authenticationv1.AuthenticationV1Interface {
	return cs.authenticationV1.get(cs, authenticationv1.NewForConfigAndClient)
}

func (cs *lazyClientset) AuthenticationV1alpha1() authenticationv1alpha1.AuthenticationV1alpha1Interface {
	return cs.authenticationV1alpha1.get(cs, authenticationv1alpha1.NewForConfigAndClient)
}

func (cs *lazyClientset) AuthenticationV1beta1() authenticationv1beta1.AuthenticationV1beta1Interface {
	return cs.authenticationV1beta1.get(cs, authenticationv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) AuthorizationV1() authorizationv1.AuthorizationV1Interface {
	return cs.authorizationV1.get(cs, authorizationv1.NewForConfigAndClient)
}

func (cs *lazyClientset) AuthorizationV1beta1() authorizationv1beta1.AuthorizationV1beta1Interface {
	return cs.authorizationV1beta1.get(cs, authorizationv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) AutoscalingV1() autoscalingv1.AutoscalingV1Interface {
	return cs.autoscalingV1.get(cs, autoscalingv1.NewForConfigAndClient)
}

func (cs *lazyClientset) AutoscalingV2() autoscalingv2.AutoscalingV2Interface {
	return cs.autoscalingV2.get(cs, autoscalingv2.NewForConfigAndClient)
}

func (cs *lazyClientset) BatchV1() batchv1.BatchV1Interface {
	return cs.batchV1.get(cs, batchv1.NewForConfigAndClient)
}

func (cs *lazyClientset) BatchV1beta1() batchv1beta1.BatchV1beta1Interface {
	return cs.batchV1beta1.get(cs, batchv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) CertificatesV1() certificatesv1.CertificatesV1Interface {
	return cs.certificatesV1.get(cs, certificatesv1.NewForConfigAndClient)
}

func (cs *lazyClientset) CertificatesV1beta1() certificatesv1beta1.CertificatesV1beta1Interface {
	return cs.certificatesV1beta1.get(cs, certificatesv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) CertificatesV1alpha1() certificatesv1alpha1.CertificatesV1alpha1Interface {
	return cs.certificatesV1alpha1.get(cs, certificatesv1alpha1.NewForConfigAndClient)
}

func (cs *lazyClientset) CoordinationV1alpha2() coordinationv1alpha2.CoordinationV1alpha2Interface {
	return cs.coordinationV1alpha2.get(cs, coordinationv1alpha2.NewForConfigAndClient)
}

func (cs *lazyClientset) CoordinationV1beta1() coordinationv1beta1.CoordinationV1beta1Interface {
	return cs.coordinationV1beta1.get(cs, coordinationv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) CoordinationV1() coordinationv1.CoordinationV1Interface {
	return cs.coordinationV1.get(cs, coordinationv1.NewForConfigAndClient)
}

func (cs *lazyClientset) CoreV1() corev1.CoreV1Interface {
	return cs.coreV1.get(cs, corev1.NewForConfigAndClient)
}

func (cs *lazyClientset) DiscoveryV1() discoveryv1.DiscoveryV1Interface {
	return cs.discoveryV1.get(cs, discoveryv1.NewForConfigAndClient)
}

func (cs *lazyClientset) DiscoveryV1beta1() discoveryv1beta1.DiscoveryV1beta1Interface {
	return cs.discoveryV1beta1.get(cs, discoveryv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) EventsV1() eventsv1.EventsV1Interface {
	return cs.eventsV1.get(cs, eventsv1.NewForConfigAndClient)
}

func (cs *lazyClientset) EventsV1beta1() eventsv1beta1.EventsV1beta1Interface {
	return cs.eventsV1beta1.get(cs, eventsv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) ExtensionsV1beta1() extensionsv1beta1.ExtensionsV1beta1Interface {
	return cs.extensionsV1beta1.get(cs, extensionsv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) FlowcontrolV1() flowcontrolv1.FlowcontrolV1Interface {
	return cs.flowcontrolV1.get(cs, flowcontrolv1.NewForConfigAndClient)
}

func (cs *lazyClientset) FlowcontrolV1beta1() flowcontrolv1beta1.FlowcontrolV1beta1Interface {
	return cs.flowcontrolV1beta1.get(cs, flowcontrolv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) FlowcontrolV1beta2() flowcontrolv1beta2.FlowcontrolV1beta2Interface {
	return cs.flowcontrolV1beta2.get(cs, flowcontrolv1beta2.NewForConfigAndClient)
}

func (cs *lazyClientset) FlowcontrolV1beta3() flowcontrolv1beta3.FlowcontrolV1beta3Interface {
	return cs.flowcontrolV1beta3.get(cs, flowcontrolv1beta3.NewForConfigAndClient)
}

func (cs *lazyClientset) LifecycleV1alpha1() lifecyclev1alpha1.LifecycleV1alpha1Interface {
	return cs.lifecycleV1alpha1.get(cs, lifecyclev1alpha1.NewForConfigAndClient)
}

func (cs *lazyClientset) NetworkingV1() networkingv1.NetworkingV1Interface {
	return cs.networkingV1.get(cs, networkingv1.NewForConfigAndClient)
}

func (cs *lazyClientset) NetworkingV1beta1() networkingv1beta1.NetworkingV1beta1Interface {
	return cs.networkingV1beta1.get(cs, networkingv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) NodeV1() nodev1.NodeV1Interface {
	return cs.nodeV1.get(cs, nodev1.NewForConfigAndClient)
}

func (cs *lazyClientset) NodeV1alpha1() nodev1alpha1.NodeV1alpha1Interface {
	return cs.nodeV1alpha1.get(cs, nodev1alpha1.NewForConfigAndClient)
}

func (cs *lazyClientset) NodeV1beta1() nodev1beta1.NodeV1beta1Interface {
	return cs.nodeV1beta1.get(cs, nodev1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) PolicyV1() policyv1.PolicyV1Interface {
	return cs.policyV1.get(cs, policyv1.NewForConfigAndClient)
}

func (cs *lazyClientset) PolicyV1beta1() policyv1beta1.PolicyV1beta1Interface {
	return cs.policyV1beta1.get(cs, policyv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) RbacV1() rbacv1.RbacV1Interface {
	return cs.rbacV1.get(cs, rbacv1.NewForConfigAndClient)
}

func (cs *lazyClientset) RbacV1beta1() rbacv1beta1.RbacV1beta1Interface {
	return cs.rbacV1beta1.get(cs, rbacv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) RbacV1alpha1() rbacv1alpha1.RbacV1alpha1Interface {
	return cs.rbacV1alpha1.get(cs, rbacv1alpha1.NewForConfigAndClient)
}

func (cs *lazyClientset) ResourceV1() resourcev1.ResourceV1Interface {
	return cs.resourceV1.get(cs, resourcev1.NewForConfigAndClient)
}

func (cs *lazyClientset) ResourceV1beta2() resourcev1beta2.ResourceV1beta2Interface {
	return cs.resourceV1beta2.get(cs, resourcev1beta2.NewForConfigAndClient)
}

func (cs *lazyClientset) ResourceV1beta1() resourcev1beta1.ResourceV1beta1Interface {
	return cs.resourceV1beta1.get(cs, resourcev1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) ResourceV1alpha3() resourcev1alpha3.ResourceV1alpha3Interface {
	return cs.resourceV1alpha3.get(cs, resourcev1alpha3.NewForConfigAndClient)
}

func (cs *lazyClientset) SchedulingV1alpha3() schedulingv1alpha3.SchedulingV1alpha3Interface {
	return cs.schedulingV1alpha3.get(cs, schedulingv1alpha3.NewForConfigAndClient)
}

func (cs *lazyClientset) SchedulingV1beta1() schedulingv1beta1.SchedulingV1beta1Interface {
	return cs.schedulingV1beta1.get(cs, schedulingv1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) SchedulingV1() schedulingv1.SchedulingV1Interface {
	return cs.schedulingV1.get(cs, schedulingv1.NewForConfigAndClient)
}

func (cs *lazyClientset) StorageV1beta1() storagev1beta1.StorageV1beta1Interface {
	return cs.storageV1beta1.get(cs, storagev1beta1.NewForConfigAndClient)
}

func (cs *lazyClientset) StorageV1() storagev1.StorageV1Interface {
	return cs.storageV1.get(cs, storagev1.NewForConfigAndClient)
}

func (cs *lazyClientset) StorageV1alpha1() storagev1alpha1.StorageV1alpha1Interface {
	return cs.storageV1alpha1.get(cs, storagev1alpha1.NewForConfigAndClient)
}

func (cs *lazyClientset) StoragemigrationV1() storagemigrationv1.StoragemigrationV1Interface {
	return cs.storagemigrationV1.get(cs, storagemigrationv1.NewForConfigAndClient)
}

func (cs *lazyClientset) StoragemigrationV1beta1() storagemigrationv1beta1.StoragemigrationV1beta1Interface {
	return cs.storagemigrationV1beta1.get(cs, storagemigrationv1beta1.NewForConfigAndClient)
}
