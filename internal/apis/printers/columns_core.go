package printers

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// coreColumns returns the columns of a kind of the core ("") group, or nil
// when the kind uses the default table.
func coreColumns(kind string) []metav1.TableColumnDefinition {
	switch kind {
	case "Pod":
		return podColumns()
	case "PodTemplate":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Containers", typeString, descContainers),
			col("Images", typeString, descImages),
			col("Pod Labels", typeString, "The labels for the pod template."),
		}
	case "ReplicationController":
		return append([]metav1.TableColumnDefinition{nameColumn(),
			col("Desired", typeInteger, corev1.ReplicationControllerSpec{}.SwaggerDoc()["replicas"]),
			col("Current", typeInteger, corev1.ReplicationControllerStatus{}.SwaggerDoc()["replicas"]),
			col("Ready", typeInteger, corev1.ReplicationControllerStatus{}.SwaggerDoc()["readyReplicas"]),
			ageColumn(),
		}, templateColumns(corev1.ReplicationControllerSpec{}.SwaggerDoc()["selector"], true)...)
	case "Service":
		doc := corev1.ServiceSpec{}.SwaggerDoc()
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Type", typeString, doc["type"]),
			col("Cluster-IP", typeString, doc["clusterIP"]),
			col("External-IP", typeString, doc["externalIPs"]),
			col("Port(s)", typeString, doc["ports"]),
			ageColumn(),
			wide("Selector", typeString, doc["selector"]),
		}
	case "Endpoints":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Endpoints", typeString, corev1.Endpoints{}.SwaggerDoc()["subsets"]), ageColumn()}
	case "Node":
		return nodeColumns()
	case "Event":
		return eventColumns()
	case "Namespace":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Status", typeString, "The status of the namespace"), ageColumn()}
	case "Secret":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Type", typeString, corev1.Secret{}.SwaggerDoc()["type"]),
			col("Data", typeString, corev1.Secret{}.SwaggerDoc()["data"]),
			ageColumn()}
	case "ServiceAccount":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Secrets", typeString, corev1.ServiceAccount{}.SwaggerDoc()["secrets"]), ageColumn()}
	case "ConfigMap":
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Data", typeString, corev1.ConfigMap{}.SwaggerDoc()["data"]), ageColumn()}
	case "PersistentVolume":
		return persistentVolumeColumns()
	case "PersistentVolumeClaim":
		return persistentVolumeClaimColumns()
	case "ResourceQuota":
		return []metav1.TableColumnDefinition{nameColumn(), ageColumn(),
			col("Request", typeString, "Request represents a minimum amount of cpu/memory that a container may consume."),
			col("Limit", typeString, "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.")}
	}
	return nil
}

func podColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{nameColumn(),
		col("Ready", typeString, "The aggregate readiness state of this pod for accepting traffic."),
		col("Status", typeString, "The aggregate status of the containers in this pod."),
		col("Restarts", typeString, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
		ageColumn(),
		wide("IP", typeString, corev1.PodStatus{}.SwaggerDoc()["podIP"]),
		wide("Node", typeString, corev1.PodSpec{}.SwaggerDoc()["nodeName"]),
		wide("Nominated Node", typeString, corev1.PodStatus{}.SwaggerDoc()["nominatedNodeName"]),
		wide("Readiness Gates", typeString, corev1.PodSpec{}.SwaggerDoc()["readinessGates"]),
	}
}

func nodeColumns() []metav1.TableColumnDefinition {
	info := corev1.NodeSystemInfo{}.SwaggerDoc()
	addresses := corev1.NodeStatus{}.SwaggerDoc()["addresses"]
	return []metav1.TableColumnDefinition{nameColumn(),
		col("Status", typeString, "The status of the node"),
		col("Roles", typeString, "The roles of the node"),
		ageColumn(),
		col("Version", typeString, info["kubeletVersion"]),
		wide("Internal-IP", typeString, addresses),
		wide("External-IP", typeString, addresses),
		wide("OS-Image", typeString, info["osImage"]),
		wide("Kernel-Version", typeString, info["kernelVersion"]),
		wide("Container-Runtime", typeString, info["containerRuntimeVersion"]),
	}
}

func eventColumns() []metav1.TableColumnDefinition {
	doc := corev1.Event{}.SwaggerDoc()
	name := nameColumn()
	name.Priority = 1
	return []metav1.TableColumnDefinition{
		col("Last Seen", typeString, doc["lastTimestamp"]),
		col("Type", typeString, doc["type"]),
		col("Reason", typeString, doc["reason"]),
		col("Object", typeString, doc["involvedObject"]),
		wide("Subobject", typeString, corev1.ObjectReference{}.SwaggerDoc()["fieldPath"]),
		wide("Source", typeString, doc["source"]),
		col("Message", typeString, doc["message"]),
		wide("First Seen", typeString, doc["firstTimestamp"]),
		wide("Count", typeString, doc["count"]),
		name,
	}
}

func persistentVolumeColumns() []metav1.TableColumnDefinition {
	spec := corev1.PersistentVolumeSpec{}.SwaggerDoc()
	status := corev1.PersistentVolumeStatus{}.SwaggerDoc()
	return []metav1.TableColumnDefinition{nameColumn(),
		col("Capacity", typeString, spec["capacity"]),
		col("Access Modes", typeString, spec["accessModes"]),
		col("Reclaim Policy", typeString, spec["persistentVolumeReclaimPolicy"]),
		col("Status", typeString, status["phase"]),
		col("Claim", typeString, spec["claimRef"]),
		col("StorageClass", typeString, "StorageClass of the pv"),
		col("VolumeAttributesClass", typeString, "VolumeAttributesClass of the pv"),
		col("Reason", typeString, status["reason"]),
		ageColumn(),
		wide("VolumeMode", typeString, spec["volumeMode"]),
	}
}

func persistentVolumeClaimColumns() []metav1.TableColumnDefinition {
	spec := corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()
	status := corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()
	return []metav1.TableColumnDefinition{nameColumn(),
		col("Status", typeString, status["phase"]),
		col("Volume", typeString, spec["volumeName"]),
		col("Capacity", typeString, status["capacity"]),
		col("Access Modes", typeString, status["accessModes"]),
		col("StorageClass", typeString, "StorageClass of the pvc"),
		col("VolumeAttributesClass", typeString, "VolumeAttributesClass of the pvc"),
		ageColumn(),
		wide("VolumeMode", typeString, spec["volumeMode"]),
	}
}
