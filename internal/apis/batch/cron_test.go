package batch

import (
	"testing"
	"time"
)

func TestParseScheduleErrors(t *testing.T) {
	for _, spec := range []string{
		"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 7",
		"5-1 * * * *", "*/0 * * * *", "1-2-3 * * * *", "a * * * *", "@fortnightly", "@every soon",
	} {
		if _, err := ParseSchedule(spec); err == nil {
			t.Errorf("ParseSchedule(%q) succeeded, want an error", spec)
		}
	}
}

func TestScheduleNext(t *testing.T) {
	base := time.Date(2026, time.March, 14, 10, 7, 30, 0, time.UTC) // a Saturday
	for _, tc := range []struct {
		spec string
		want time.Time
	}{
		{"*/5 * * * *", time.Date(2026, 3, 14, 10, 10, 0, 0, time.UTC)},
		{"* * * * *", time.Date(2026, 3, 14, 10, 8, 0, 0, time.UTC)},
		{"0 * * * *", time.Date(2026, 3, 14, 11, 0, 0, 0, time.UTC)},
		{"@hourly", time.Date(2026, 3, 14, 11, 0, 0, 0, time.UTC)},
		{"@daily", time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
		{"30 9 * * mon-fri", time.Date(2026, 3, 16, 9, 30, 0, 0, time.UTC)},
		{"0 0 1 jan *", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"15,45 10 * * *", time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC)},
		{"0 12 13 * 5", time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)}, // day-of-month OR day-of-week
		{"0 0 31 2 *", time.Time{}},
		{"@every 90s", base.Add(90 * time.Second)},
	} {
		s, err := ParseSchedule(tc.spec)
		if err != nil {
			t.Fatalf("ParseSchedule(%q): %v", tc.spec, err)
		}
		if got := s.Next(base); !got.Equal(tc.want) {
			t.Errorf("%q.Next(%v) = %v, want %v", tc.spec, base, got, tc.want)
		}
	}
}
