package batch

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed CronJob schedule.
type Schedule interface {
	// Next returns the first activation time strictly after t, in t's
	// location, or the zero time if there is none within five years.
	Next(t time.Time) time.Time
}

// cronSchedule holds one bit per allowed value of each field.
type cronSchedule struct {
	minute, hour, dom, month, dow uint64
	// domStar and dowStar record a "*" or "?" day field: when both day
	// fields are restricted, either may match (standard cron semantics).
	domStar, dowStar bool
}

// everySchedule is an "@every <duration>" schedule.
type everySchedule struct {
	every time.Duration
}

type fieldBounds struct {
	name     string
	min, max uint
	names    map[string]uint
}

func cronFields() []fieldBounds {
	return []fieldBounds{
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day of month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: map[string]uint{
			"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
			"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}},
		{name: "day of week", min: 0, max: 6, names: map[string]uint{
			"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}},
	}
}

// ParseSchedule parses a standard 5-field cron expression (minute hour
// day-of-month month day-of-week, with lists, ranges, steps, names) or one of
// the descriptors @yearly, @annually, @monthly, @weekly, @daily, @midnight,
// @hourly and @every <duration>.
func ParseSchedule(spec string) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("empty spec string")
	}
	if strings.HasPrefix(spec, "@") {
		return parseDescriptor(spec)
	}
	fields := strings.Fields(spec)
	if len(fields) != 5 {
		return nil, fmt.Errorf("expected exactly 5 fields, found %d: %s", len(fields), spec)
	}
	var bits [5]uint64
	for i, b := range cronFields() {
		v, err := parseField(fields[i], b)
		if err != nil {
			return nil, err
		}
		bits[i] = v
	}
	return &cronSchedule{
		minute: bits[0], hour: bits[1], dom: bits[2], month: bits[3], dow: bits[4],
		domStar: fields[2] == "*" || fields[2] == "?",
		dowStar: fields[4] == "*" || fields[4] == "?",
	}, nil
}

func parseDescriptor(spec string) (Schedule, error) {
	standard := func(s string) (Schedule, error) { return ParseSchedule(s) }
	switch spec {
	case "@yearly", "@annually":
		return standard("0 0 1 1 *")
	case "@monthly":
		return standard("0 0 1 * *")
	case "@weekly":
		return standard("0 0 * * 0")
	case "@daily", "@midnight":
		return standard("0 0 * * *")
	case "@hourly":
		return standard("0 * * * *")
	}
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("failed to parse duration %s: %w", spec, err)
		}
		if d < time.Second {
			d = time.Second
		}
		return everySchedule{every: d - time.Duration(d.Nanoseconds())%time.Second}, nil
	}
	return nil, fmt.Errorf("unrecognized descriptor: %s", spec)
}

// parseField parses a comma-separated list of ranges into a bit set.
func parseField(f string, b fieldBounds) (uint64, error) {
	var bits uint64
	for _, expr := range strings.Split(f, ",") {
		v, err := parseRange(expr, b)
		if err != nil {
			return 0, err
		}
		bits |= v
	}
	return bits, nil
}

func parseRange(expr string, b fieldBounds) (uint64, error) {
	rangeAndStep := strings.Split(expr, "/")
	if len(rangeAndStep) > 2 {
		return 0, fmt.Errorf("too many slashes: %s", expr)
	}
	lowAndHigh := strings.Split(rangeAndStep[0], "-")
	if len(lowAndHigh) > 2 {
		return 0, fmt.Errorf("too many hyphens: %s", expr)
	}
	var start, end uint
	var err error
	if lowAndHigh[0] == "*" || lowAndHigh[0] == "?" {
		start, end = b.min, b.max
	} else {
		if start, err = parseValue(lowAndHigh[0], b); err != nil {
			return 0, err
		}
		end = start
		if len(lowAndHigh) == 2 {
			if end, err = parseValue(lowAndHigh[1], b); err != nil {
				return 0, err
			}
		}
	}
	step := uint(1)
	if len(rangeAndStep) == 2 {
		n, err := strconv.ParseUint(rangeAndStep[1], 10, 8)
		if err != nil || n == 0 {
			return 0, fmt.Errorf("step of range should be a positive number: %s", expr)
		}
		step = uint(n)
		if len(lowAndHigh) == 1 && lowAndHigh[0] != "*" && lowAndHigh[0] != "?" {
			end = b.max // "N/step" means N through the maximum
		}
	}
	switch {
	case start < b.min:
		return 0, fmt.Errorf("beginning of range (%d) below minimum (%d): %s", start, b.min, expr)
	case end > b.max:
		return 0, fmt.Errorf("end of range (%d) above maximum (%d): %s", end, b.max, expr)
	case start > end:
		return 0, fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", start, end, expr)
	}
	var bits uint64
	for i := start; i <= end; i += step {
		bits |= 1 << i
	}
	return bits, nil
}

func parseValue(s string, b fieldBounds) (uint, error) {
	if v, ok := b.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("failed to parse int from %s: %w", s, err)
	}
	return uint(n), nil
}

func has(bits uint64, v int) bool {
	return bits&(1<<uint(v)) != 0
}

func (s *cronSchedule) dayMatches(t time.Time) bool {
	domOK := has(s.dom, t.Day())
	dowOK := has(s.dow, int(t.Weekday()))
	if s.domStar || s.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// Next walks forward field by field, resetting the smaller fields whenever a
// larger one advances.
func (s *cronSchedule) Next(t time.Time) time.Time {
	loc := t.Location()
	t = t.Add(time.Minute - time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond()))
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		switch {
		case !has(s.month, int(t.Month())):
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
		case !s.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		case !has(s.hour, t.Hour()):
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
		case !has(s.minute, t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

// Next returns t plus the interval, rounded down to the second.
func (s everySchedule) Next(t time.Time) time.Time {
	return t.Add(s.every - time.Duration(t.Nanosecond()))
}
