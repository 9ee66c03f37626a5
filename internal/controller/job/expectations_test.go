package job

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestFreshestPrefersTheWrittenStatusUntilTheInformerCatchesUp(t *testing.T) {
	job := func(uid, rv string, succeeded int32) *batchv1.Job {
		return &batchv1.Job{ObjectMeta: metav1.ObjectMeta{UID: types.UID(uid), ResourceVersion: rv}, Status: batchv1.JobStatus{Succeeded: succeeded}}
	}
	for _, tc := range []struct {
		name     string
		cached   *batchv1.Job
		wantRV   string
		wantSucc int32
	}{
		{name: "informer behind", cached: job("a", "10", 0), wantRV: "12", wantSucc: 2},
		{name: "informer caught up", cached: job("a", "12", 2), wantRV: "12", wantSucc: 2},
		{name: "informer past the write", cached: job("a", "15", 1), wantRV: "15", wantSucc: 1},
		{name: "job recreated", cached: job("b", "9", 0), wantRV: "9"},
		{name: "unordered version", cached: job("a", "x", 0), wantRV: "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newExpectations()
			e.wroteStatus("ns/j", job("a", "12", 2))
			got := e.freshest("ns/j", tc.cached)
			if got.ResourceVersion != tc.wantRV || got.Status.Succeeded != tc.wantSucc {
				t.Errorf("freshest = rv %s succeeded %d, want rv %s succeeded %d", got.ResourceVersion, got.Status.Succeeded, tc.wantRV, tc.wantSucc)
			}
			if tc.cached.ResourceVersion != "10" && e.freshest("ns/j", job("a", "10", 0)).ResourceVersion != "10" {
				t.Error("the written version is still preferred after the informer showed a newer one")
			}
		})
	}
}
