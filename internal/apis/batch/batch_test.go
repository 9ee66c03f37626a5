package batch

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func newJob() *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: "1234"},
		Spec: batchv1.JobSpec{Template: v1.PodTemplateSpec{Spec: v1.PodSpec{
			RestartPolicy: v1.RestartPolicyNever,
			Containers:    []v1.Container{{Name: "pi", Image: "perl:5"}},
		}}},
	}
	DefaultJob(j)
	PrepareJobForCreate(j)
	return j
}

func TestDefaultJob(t *testing.T) {
	j := newJob()
	s := j.Spec
	if *s.Completions != 1 || *s.Parallelism != 1 || *s.BackoffLimit != 6 || *s.CompletionMode != batchv1.NonIndexedCompletion ||
		*s.Suspend || *s.ManualSelector || *s.PodReplacementPolicy != batchv1.TerminatingOrFailed {
		t.Errorf("job defaults: %+v", s)
	}
	parallel := &batchv1.Job{Spec: batchv1.JobSpec{Parallelism: new(int32)}}
	*parallel.Spec.Parallelism = 3
	DefaultJob(parallel)
	if parallel.Spec.Completions != nil {
		t.Errorf("completions must stay unset when parallelism is given, got %d", *parallel.Spec.Completions)
	}
	perIndex := &batchv1.Job{Spec: batchv1.JobSpec{BackoffLimitPerIndex: new(int32)}}
	DefaultJob(perIndex)
	if *perIndex.Spec.BackoffLimit != 2147483647 {
		t.Errorf("backoffLimit with per-index limit = %d", *perIndex.Spec.BackoffLimit)
	}
}

func TestPrepareJobForCreate(t *testing.T) {
	j := newJob()
	wantLabels := map[string]string{
		"controller-uid": "1234", "batch.kubernetes.io/controller-uid": "1234",
		"job-name": "pi", "batch.kubernetes.io/job-name": "pi",
	}
	for k, v := range wantLabels {
		if j.Spec.Template.Labels[k] != v {
			t.Errorf("template label %s = %q, want %q", k, j.Spec.Template.Labels[k], v)
		}
	}
	if got := j.Spec.Selector.MatchLabels; len(got) != 1 || got["batch.kubernetes.io/controller-uid"] != "1234" {
		t.Errorf("selector = %v", got)
	}
	manual := &batchv1.Job{Spec: batchv1.JobSpec{ManualSelector: new(bool)}}
	*manual.Spec.ManualSelector = true
	PrepareJobForCreate(manual)
	if manual.Spec.Selector != nil || manual.Spec.Template.Labels != nil {
		t.Errorf("manual selector job was changed: %+v", manual.Spec)
	}
}

func TestValidateJob(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*batchv1.Job)
		want   []string
	}{
		{"valid", func(*batchv1.Job) {}, nil},
		{"restart always", func(j *batchv1.Job) { j.Spec.Template.Spec.RestartPolicy = v1.RestartPolicyAlways },
			[]string{"FieldValueNotSupported spec.template.spec.restartPolicy"}},
		{"negative backoff", func(j *batchv1.Job) { *j.Spec.BackoffLimit = -1 }, []string{"FieldValueInvalid spec.backoffLimit"}},
		{"selector not generated", func(j *batchv1.Job) {
			j.Spec.Selector.MatchLabels["extra"] = "x"
			j.Spec.Template.Labels["extra"] = "x"
		}, []string{"FieldValueInvalid spec.selector"}},
		{"indexed without completions", func(j *batchv1.Job) {
			j.Spec.CompletionMode = new(batchv1.CompletionMode)
			*j.Spec.CompletionMode = batchv1.IndexedCompletion
			j.Spec.Completions = nil
		}, []string{"FieldValueRequired spec.completions"}},
		{"manual selector mismatch", func(j *batchv1.Job) {
			*j.Spec.ManualSelector = true
			j.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
		}, []string{"FieldValueInvalid spec.template.metadata.labels"}},
		{"manual selector missing", func(j *batchv1.Job) {
			*j.Spec.ManualSelector = true
			j.Spec.Selector = nil
		}, []string{"FieldValueRequired spec.selector"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newJob()
			tc.mutate(j)
			fieldtest.ExpectErrors(t, ValidateJob(j), tc.want...)
		})
	}
}

func TestValidateJobUpdate(t *testing.T) {
	old := newJob()
	ok := old.DeepCopy()
	*ok.Spec.Parallelism = 5
	*ok.Spec.Suspend = true
	fieldtest.ExpectErrors(t, ValidateJobUpdate(ok, old))
	bad := old.DeepCopy()
	bad.Spec.Template.Spec.Containers[0].Image = "perl:6"
	fieldtest.ExpectErrors(t, ValidateJobUpdate(bad, old), "FieldValueInvalid spec.template")
	bad = old.DeepCopy()
	*bad.Spec.Completions = 4
	fieldtest.ExpectErrors(t, ValidateJobUpdate(bad, old), "FieldValueInvalid spec.completions")
}

func newCronJob() *batchv1.CronJob {
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "hello"},
		Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: v1.PodTemplateSpec{Spec: v1.PodSpec{
				RestartPolicy: v1.RestartPolicyOnFailure,
				Containers:    []v1.Container{{Name: "hello", Image: "busybox:1.36"}},
			}},
		}}},
	}
	DefaultCronJob(cj)
	return cj
}

func TestDefaultCronJob(t *testing.T) {
	s := newCronJob().Spec
	if s.ConcurrencyPolicy != batchv1.AllowConcurrent || *s.Suspend || *s.SuccessfulJobsHistoryLimit != 3 || *s.FailedJobsHistoryLimit != 1 {
		t.Errorf("cronjob defaults: %+v", s)
	}
	if s.JobTemplate.Spec.BackoffLimit != nil {
		t.Errorf("job template must not get Job defaults")
	}
	if s.JobTemplate.Spec.Template.Spec.DNSPolicy != v1.DNSClusterFirst {
		t.Errorf("job template pod spec not defaulted")
	}
}

func TestValidateCronJob(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*batchv1.CronJob)
		want   []string
	}{
		{"valid", func(*batchv1.CronJob) {}, nil},
		{"macro", func(c *batchv1.CronJob) { c.Spec.Schedule = "@hourly" }, nil},
		{"every", func(c *batchv1.CronJob) { c.Spec.Schedule = "@every 1h30m" }, nil},
		{"no schedule", func(c *batchv1.CronJob) { c.Spec.Schedule = "" }, []string{"FieldValueRequired spec.schedule"}},
		{"bad schedule", func(c *batchv1.CronJob) { c.Spec.Schedule = "61 * * * *" }, []string{"FieldValueInvalid spec.schedule"}},
		{"TZ in schedule", func(c *batchv1.CronJob) { c.Spec.Schedule = "TZ=UTC 0 * * * *" }, []string{"FieldValueInvalid spec.schedule"}},
		{"bad time zone", func(c *batchv1.CronJob) { tz := "Mars/Olympus"; c.Spec.TimeZone = &tz }, []string{"FieldValueInvalid spec.timeZone"}},
		{"bad policy", func(c *batchv1.CronJob) { c.Spec.ConcurrencyPolicy = "Sometimes" }, []string{"FieldValueNotSupported spec.concurrencyPolicy"}},
		{"restart always", func(c *batchv1.CronJob) { c.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy = v1.RestartPolicyAlways },
			[]string{"FieldValueNotSupported spec.jobTemplate.spec.template.spec.restartPolicy"}},
		{"long name", func(c *batchv1.CronJob) { c.Name = "a23456789012345678901234567890123456789012345678901234" },
			[]string{"FieldValueInvalid metadata.name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCronJob()
			tc.mutate(c)
			fieldtest.ExpectErrors(t, ValidateCronJob(c), tc.want...)
		})
	}
}
