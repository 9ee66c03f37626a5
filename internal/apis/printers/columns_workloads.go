package printers

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// workloadColumns returns the columns of the apps, batch, autoscaling and
// policy kinds, or nil when the kind uses the default table.
func workloadColumns(gk schema.GroupKind) []metav1.TableColumnDefinition {
	switch gk {
	case schema.GroupKind{Group: "apps", Kind: "Deployment"}:
		return append([]metav1.TableColumnDefinition{nameColumn(),
			col("Ready", typeString, "Number of the pod with ready state"),
			col("Up-to-date", typeString, appsv1.DeploymentStatus{}.SwaggerDoc()["updatedReplicas"]),
			col("Available", typeString, appsv1.DeploymentStatus{}.SwaggerDoc()["availableReplicas"]),
			ageColumn(),
		}, templateColumns(appsv1.DeploymentSpec{}.SwaggerDoc()["selector"], true)...)
	case schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}:
		return append([]metav1.TableColumnDefinition{nameColumn(),
			col("Desired", typeInteger, appsv1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]),
			col("Current", typeInteger, appsv1.ReplicaSetStatus{}.SwaggerDoc()["replicas"]),
			col("Ready", typeInteger, appsv1.ReplicaSetStatus{}.SwaggerDoc()["readyReplicas"]),
			ageColumn(),
		}, templateColumns(appsv1.ReplicaSetSpec{}.SwaggerDoc()["selector"], true)...)
	case schema.GroupKind{Group: "apps", Kind: "StatefulSet"}:
		return append([]metav1.TableColumnDefinition{nameColumn(),
			col("Ready", typeString, "Number of the pod with ready state"),
			ageColumn(),
		}, templateColumns("", false)...)
	case schema.GroupKind{Group: "apps", Kind: "DaemonSet"}:
		return daemonSetColumns()
	case schema.GroupKind{Group: "apps", Kind: "ControllerRevision"}:
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Controller", typeString, "Controller of the object"),
			col("Revision", typeString, appsv1.ControllerRevision{}.SwaggerDoc()["revision"]),
			ageColumn()}
	case schema.GroupKind{Group: "batch", Kind: "Job"}:
		return append([]metav1.TableColumnDefinition{nameColumn(),
			col("Status", typeString, "Status of the job."),
			col("Completions", typeString, batchv1.JobStatus{}.SwaggerDoc()["succeeded"]),
			col("Duration", typeString, "Time required to complete the job."),
			ageColumn(),
		}, templateColumns(batchv1.JobSpec{}.SwaggerDoc()["selector"], true)...)
	case schema.GroupKind{Group: "batch", Kind: "CronJob"}:
		return cronJobColumns()
	case schema.GroupKind{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}:
		return hpaColumns()
	case schema.GroupKind{Group: "policy", Kind: "PodDisruptionBudget"}:
		return []metav1.TableColumnDefinition{nameColumn(),
			col("Min Available", typeString, "The minimum number of pods that must be available."),
			col("Max Unavailable", typeString, "The maximum number of pods that may be unavailable."),
			col("Allowed Disruptions", typeInteger, "Calculated number of pods that may be disrupted at this time."),
			ageColumn()}
	}
	return nil
}

func daemonSetColumns() []metav1.TableColumnDefinition {
	status := appsv1.DaemonSetStatus{}.SwaggerDoc()
	return append([]metav1.TableColumnDefinition{nameColumn(),
		col("Desired", typeInteger, status["desiredNumberScheduled"]),
		col("Current", typeInteger, status["currentNumberScheduled"]),
		col("Ready", typeInteger, status["numberReady"]),
		col("Up-to-date", typeInteger, status["updatedNumberScheduled"]),
		col("Available", typeInteger, status["numberAvailable"]),
		col("Node Selector", typeString, corev1.PodSpec{}.SwaggerDoc()["nodeSelector"]),
		ageColumn(),
	}, templateColumns(appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"], true)...)
}

func cronJobColumns() []metav1.TableColumnDefinition {
	spec := batchv1.CronJobSpec{}.SwaggerDoc()
	status := batchv1.CronJobStatus{}.SwaggerDoc()
	return append([]metav1.TableColumnDefinition{nameColumn(),
		col("Schedule", typeString, spec["schedule"]),
		col("Timezone", typeString, spec["timeZone"]),
		col("Suspend", typeBoolean, spec["suspend"]),
		col("Active", typeInteger, status["active"]),
		col("Last Schedule", typeString, status["lastScheduleTime"]),
		ageColumn(),
	}, templateColumns(batchv1.JobSpec{}.SwaggerDoc()["selector"], true)...)
}

func hpaColumns() []metav1.TableColumnDefinition {
	spec := autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()
	return []metav1.TableColumnDefinition{nameColumn(),
		col("Reference", typeString, spec["scaleTargetRef"]),
		col("Targets", typeString, spec["metrics"]),
		col("MinPods", typeString, spec["minReplicas"]),
		col("MaxPods", typeString, spec["maxReplicas"]),
		col("Replicas", typeString, autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]),
		ageColumn()}
}
