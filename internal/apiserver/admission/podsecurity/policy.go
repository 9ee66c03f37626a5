package podsecurity

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Level is a Pod Security Standards level.
type Level string

// The levels, from least to most restrictive.
const (
	Privileged Level = "privileged"
	Baseline   Level = "baseline"
	Restricted Level = "restricted"
)

// Label names, as upstream.
const (
	labelPrefix   = "pod-security.kubernetes.io/"
	EnforceLabel  = labelPrefix + "enforce"
	AuditLabel    = labelPrefix + "audit"
	WarnLabel     = labelPrefix + "warn"
	versionSuffix = "-version"
)

// LevelVersion is a level at a version of the standards ("latest" or
// "v1.N").
type LevelVersion struct {
	Level   Level
	Version string
}

// String renders it as upstream does in messages: "restricted:latest".
func (lv LevelVersion) String() string { return string(lv.Level) + ":" + lv.Version }

// Policy is what a namespace's labels ask for in each mode.
type Policy struct {
	Enforce, Audit, Warn LevelVersion
}

func parseLevel(s string) (Level, error) {
	switch l := Level(s); l {
	case Privileged, Baseline, Restricted:
		return l, nil
	}
	return "", fmt.Errorf("must be one of privileged, baseline, restricted")
}

func parseVersion(s string) (string, error) {
	if s == "latest" {
		return s, nil
	}
	// v1.N with N a number without leading zeros.
	if minor, ok := strings.CutPrefix(s, "v1."); ok && minor != "" && (minor == "0" || minor[0] != '0') &&
		strings.Trim(minor, "0123456789") == "" {
		return s, nil
	}
	return "", fmt.Errorf(`must be "latest" or "v1.x"`)
}

func rank(l Level) int {
	switch l {
	case Baseline:
		return 1
	case Restricted:
		return 2
	}
	return 0
}

// PolicyFor reads the policy from namespace labels. Unset modes are
// privileged:latest. An invalid enforce level fails closed (restricted); an
// invalid audit or warn level is privileged. Without its own warn label, warn
// follows a stricter enforce level, as upstream. The errors describe the
// invalid labels.
func PolicyFor(labels map[string]string) (Policy, field.ErrorList) {
	p := Policy{
		Enforce: LevelVersion{Privileged, "latest"},
		Audit:   LevelVersion{Privileged, "latest"},
		Warn:    LevelVersion{Privileged, "latest"},
	}
	var errs field.ErrorList
	path := field.NewPath("metadata", "labels")
	read := func(label string, lv *LevelVersion, invalid Level) bool {
		set := false
		if v, ok := labels[label]; ok {
			l, err := parseLevel(v)
			if err != nil {
				errs = append(errs, field.Invalid(path.Key(label), v, err.Error()))
				l = invalid
			}
			lv.Level, set = l, err == nil
		}
		if v, ok := labels[label+versionSuffix]; ok {
			ver, err := parseVersion(v)
			if err != nil {
				errs = append(errs, field.Invalid(path.Key(label+versionSuffix), v, err.Error()))
				ver = "latest"
			}
			lv.Version = ver
		}
		return set
	}
	enforceSet := read(EnforceLabel, &p.Enforce, Restricted)
	read(AuditLabel, &p.Audit, Privileged)
	_, warnLevelSet := labels[WarnLabel]
	_, warnVersionSet := labels[WarnLabel+versionSuffix]
	read(WarnLabel, &p.Warn, Privileged)
	if !warnLevelSet && enforceSet && rank(p.Enforce.Level) > rank(p.Warn.Level) {
		p.Warn.Level = p.Enforce.Level
		if !warnVersionSet {
			p.Warn.Version = p.Enforce.Version
		}
	}
	return p, errs
}
