package cronjob

import (
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/capstan/capstan/internal/apis/batch"
)

// maxMissed is how many missed schedule times upstream tolerates before it
// warns with TooManyMissedTimes (and then starts only the latest).
const maxMissed = 100

// scheduleError says why a CronJob's schedule cannot be used; reason is
// the event reason upstream records.
type scheduleError struct {
	reason, message string
}

func (e *scheduleError) Error() string { return e.message }

// parseSchedule reads spec.schedule, which may carry a legacy "CRON_TZ=" or
// "TZ=" prefix, and spec.timeZone (which wins); without either the schedule
// runs in UTC.
func parseSchedule(cj *batchv1.CronJob) (batch.Schedule, *time.Location, error) {
	spec := strings.TrimSpace(cj.Spec.Schedule)
	loc := time.UTC
	if rest, ok := cutTZ(spec); ok {
		name, expr, _ := strings.Cut(rest, " ")
		l, err := time.LoadLocation(name)
		if err != nil {
			return nil, nil, &scheduleError{"UnknownTimeZone", fmt.Sprintf("invalid timeZone: %q: %s", name, err)}
		}
		loc, spec = l, strings.TrimSpace(expr)
	}
	if tz := cj.Spec.TimeZone; tz != nil {
		l, err := time.LoadLocation(*tz)
		if err != nil {
			return nil, nil, &scheduleError{"UnknownTimeZone", fmt.Sprintf("invalid timeZone: %q: %s", *tz, err)}
		}
		loc = l
	}
	s, err := batch.ParseSchedule(spec)
	if err != nil {
		return nil, nil, &scheduleError{"UnparseableSchedule", fmt.Sprintf("unparseable schedule: %q : %s", cj.Spec.Schedule, err)}
	}
	return s, loc, nil
}

func cutTZ(spec string) (string, bool) {
	if rest, ok := strings.CutPrefix(spec, "CRON_TZ="); ok {
		return rest, true
	}
	return strings.CutPrefix(spec, "TZ=")
}

// mostRecent returns the latest schedule time in (earliest, now] and how
// many schedule times fell in that span, counting at most maxMissed+1;
// zero time when none is due. Bounded work even after long downtime: past
// maxMissed it searches backwards from now in doubling windows.
func mostRecent(s batch.Schedule, earliest, now time.Time) (time.Time, int) {
	t := s.Next(earliest)
	if t.IsZero() || t.After(now) {
		return time.Time{}, 0
	}
	missed := 1
	for ; missed <= maxMissed; missed++ {
		n := s.Next(t)
		if n.IsZero() || n.After(now) {
			return t, missed
		}
		t = n
	}
	for window := time.Minute; ; window *= 2 {
		start := now.Add(-window)
		if !start.After(t) {
			return walk(s, t, now), missed
		}
		if c := s.Next(start); !c.IsZero() && !c.After(now) {
			return walk(s, c, now), missed
		}
	}
}

// walk advances from schedule time t to the last one not after now.
func walk(s batch.Schedule, t, now time.Time) time.Time {
	for {
		n := s.Next(t)
		if n.IsZero() || n.After(now) {
			return t
		}
		t = n
	}
}

// earliestTime is where missed runs are counted from: the last schedule
// time (or creation), moved forward to now-startingDeadlineSeconds when
// that is later, as upstream.
func earliestTime(cj *batchv1.CronJob, now time.Time) time.Time {
	earliest := cj.CreationTimestamp.Time
	if cj.Status.LastScheduleTime != nil {
		earliest = cj.Status.LastScheduleTime.Time
	}
	if sds := cj.Spec.StartingDeadlineSeconds; sds != nil {
		if d := now.Add(-time.Duration(*sds) * time.Second); d.After(earliest) {
			earliest = d
		}
	}
	return earliest
}

// tooLate reports whether a run scheduled at t may no longer start at now.
func tooLate(cj *batchv1.CronJob, t, now time.Time) bool {
	sds := cj.Spec.StartingDeadlineSeconds
	return sds != nil && t.Add(time.Duration(*sds)*time.Second).Before(now)
}

// untilNext is how long to wait at now for the next schedule time, plus a
// small margin so the sync runs after it, as upstream's 100ms.
func untilNext(s batch.Schedule, now time.Time) (time.Duration, bool) {
	n := s.Next(now)
	if n.IsZero() {
		return 0, false
	}
	return n.Sub(now) + 100*time.Millisecond, true
}

// jobName is <cronjob>-<scheduled time in unix minutes>.
func jobName(cj *batchv1.CronJob, scheduled time.Time) string {
	return fmt.Sprintf("%s-%d", cj.Name, scheduled.Unix()/60)
}
