package cronjob

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apis/batch"
)

func mustParse(t *testing.T, spec string) batch.Schedule {
	t.Helper()
	s, err := batch.ParseSchedule(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestMostRecent(t *testing.T) {
	tests := []struct {
		name       string
		schedule   string
		earliest   string
		now        string
		want       string // "" when nothing is due
		wantMissed int
	}{
		{"nothing due yet", "* * * * *", "2026-01-01T10:00:00Z", "2026-01-01T10:00:59Z", "", 0},
		{"one due", "* * * * *", "2026-01-01T10:00:00Z", "2026-01-01T10:01:00Z", "2026-01-01T10:01:00Z", 1},
		{"earliest itself is not unmet", "* * * * *", "2026-01-01T10:01:00Z", "2026-01-01T10:01:30Z", "", 0},
		{"several missed", "*/5 * * * *", "2026-01-01T10:00:00Z", "2026-01-01T10:17:00Z", "2026-01-01T10:15:00Z", 3},
		{"hourly", "@hourly", "2026-01-01T10:30:00Z", "2026-01-01T12:10:00Z", "2026-01-01T12:00:00Z", 2},
		{"exactly 100 missed", "* * * * *", "2026-01-01T10:00:00Z", "2026-01-01T11:40:30Z", "2026-01-01T11:40:00Z", 100},
		{"long downtime finds the latest", "* * * * *", "2026-01-01T10:00:00Z", "2026-03-01T08:07:30Z", "2026-03-01T08:07:00Z", maxMissed + 1},
		{"sparse schedule after downtime", "0 9 * * 1", "2024-01-01T00:00:00Z", "2026-01-07T00:00:00Z", "2026-01-05T09:00:00Z", maxMissed + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, missed := mostRecent(mustParse(t, tt.schedule), at(tt.earliest), at(tt.now))
			want := time.Time{}
			if tt.want != "" {
				want = at(tt.want)
			}
			if !got.Equal(want) || missed != tt.wantMissed {
				t.Errorf("mostRecent = %v, %d; want %v, %d", got, missed, want, tt.wantMissed)
			}
		})
	}
}

func TestEarliestAndDeadline(t *testing.T) {
	created := at("2026-01-01T10:00:00Z")
	now := at("2026-01-01T12:00:00Z")
	sds := int64(600)
	last := metav1.NewTime(at("2026-01-01T11:00:00Z"))
	tests := []struct {
		name string
		cj   batchv1.CronJob
		want time.Time
	}{
		{"from creation", batchv1.CronJob{}, created},
		{"from last schedule", batchv1.CronJob{Status: batchv1.CronJobStatus{LastScheduleTime: &last}}, last.Time},
		{"deadline moves it forward", batchv1.CronJob{Spec: batchv1.CronJobSpec{StartingDeadlineSeconds: &sds},
			Status: batchv1.CronJobStatus{LastScheduleTime: &last}}, now.Add(-10 * time.Minute)},
	}
	for _, tt := range tests {
		tt.cj.CreationTimestamp = metav1.NewTime(created)
		if got := earliestTime(&tt.cj, now); !got.Equal(tt.want) {
			t.Errorf("%s: earliestTime = %v, want %v", tt.name, got, tt.want)
		}
	}
	cj := &batchv1.CronJob{Spec: batchv1.CronJobSpec{StartingDeadlineSeconds: &sds}}
	if tooLate(cj, now.Add(-10*time.Minute), now) || !tooLate(cj, now.Add(-11*time.Minute), now) {
		t.Error("tooLate must allow a run within startingDeadlineSeconds and refuse one after")
	}
	if tooLate(&batchv1.CronJob{}, now.Add(-24*time.Hour), now) {
		t.Error("without startingDeadlineSeconds a run is never too late")
	}
}

func TestParseSchedule(t *testing.T) {
	tokyo := "Asia/Tokyo"
	bad := "Mars/Olympus"
	tests := []struct {
		name       string
		schedule   string
		tz         *string
		wantReason string
		wantLoc    string
		wantNext   string // from 2026-01-01T00:00:00Z
	}{
		{name: "UTC by default", schedule: "0 9 * * *", wantLoc: "UTC", wantNext: "2026-01-01T09:00:00Z"},
		{name: "timeZone field", schedule: "0 9 * * *", tz: &tokyo, wantLoc: "Asia/Tokyo", wantNext: "2026-01-02T00:00:00Z"},
		{name: "CRON_TZ prefix", schedule: "CRON_TZ=Asia/Tokyo 0 9 * * *", wantLoc: "Asia/Tokyo", wantNext: "2026-01-02T00:00:00Z"},
		{name: "unknown zone", schedule: "0 9 * * *", tz: &bad, wantReason: "UnknownTimeZone"},
		{name: "unknown CRON_TZ", schedule: "CRON_TZ=Mars/Olympus 0 9 * * *", wantReason: "UnknownTimeZone"},
		{name: "bad schedule", schedule: "61 * * * *", wantReason: "UnparseableSchedule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cj := &batchv1.CronJob{Spec: batchv1.CronJobSpec{Schedule: tt.schedule, TimeZone: tt.tz}}
			s, loc, err := parseSchedule(cj)
			if tt.wantReason != "" {
				se, ok := err.(*scheduleError)
				if !ok || se.reason != tt.wantReason {
					t.Fatalf("err = %v, want reason %s", err, tt.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			next := s.Next(at("2026-01-01T00:00:00Z").In(loc))
			if loc.String() != tt.wantLoc || !next.Equal(at(tt.wantNext)) {
				t.Errorf("loc %s next %v; want %s %s", loc, next.UTC(), tt.wantLoc, tt.wantNext)
			}
		})
	}
}

func TestJobNameAndNext(t *testing.T) {
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "hello"}}
	if got := jobName(cj, at("2026-01-01T10:01:00Z")); got != "hello-29454361" {
		t.Errorf("jobName = %s", got)
	}
	d, ok := untilNext(mustParse(t, "* * * * *"), at("2026-01-01T10:00:40Z"))
	if !ok || d != 20*time.Second+100*time.Millisecond {
		t.Errorf("untilNext = %v %v", d, ok)
	}
}
