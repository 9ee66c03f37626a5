package eviction

import (
	"os"
	"testing"
)

func TestParseMeminfo(t *testing.T) {
	tests := []struct {
		name, in        string
		avail, capacity string
		wantErr         bool
	}{
		{name: "ok", in: "MemTotal:        2048000 kB\nMemFree:  100 kB\nMemAvailable:     92160 kB\n", avail: "90Mi", capacity: "2000Mi"},
		{name: "no MemAvailable", in: "MemTotal: 100 kB\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseMeminfo([]byte(tc.in))
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Available.String() != tc.avail || o.Capacity.String() != tc.capacity {
				t.Errorf("got %s of %s, want %s of %s", o.Available.String(), o.Capacity.String(), tc.avail, tc.capacity)
			}
		})
	}
}

func TestPIDObservation(t *testing.T) {
	o, err := pidObservation([]byte("4194304\n"), 304)
	if err != nil {
		t.Fatal(err)
	}
	if o.Available.Value() != 4194000 || o.Capacity.Value() != 4194304 {
		t.Errorf("got %v of %v", o.Available.Value(), o.Capacity.Value())
	}
	if _, err := pidObservation([]byte("x"), 1); err == nil {
		t.Error("no error for a bad pid_max")
	}
}

func TestReadObservationsOfThisHost(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no procfs")
	}
	obs, err := ReadObservations(HostPaths{Proc: "/proc", NodeFs: t.TempDir(), ImageFs: "/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []Signal{SignalMemoryAvailable, SignalNodeFsAvailable, SignalNodeFsInodesFree, SignalImageFsAvailable, SignalImageFsInodesFree, SignalPIDAvailable} {
		o, ok := obs[s]
		if !ok || o.Capacity.Sign() <= 0 || o.Available.Cmp(o.Capacity) > 0 {
			t.Errorf("%s = %+v (present %v)", s, o, ok)
		}
	}
}
