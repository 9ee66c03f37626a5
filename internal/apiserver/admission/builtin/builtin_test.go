package builtin

import (
	"slices"
	"testing"
)

func TestNew(t *testing.T) {
	all := []string{"LimitRanger", "ServiceAccount", "NodeRestriction", "PodSecurity", "Priority", "DefaultTolerationSeconds", "ResourceQuota"}
	tests := []struct {
		name    string
		enabled []string
		want    []string
		wantErr bool
	}{
		{"nil enables all in upstream order", nil, all, false},
		{"empty enables none", []string{}, []string{}, false},
		{"order is fixed", []string{"DefaultTolerationSeconds", "LimitRanger"}, []string{"LimitRanger", "DefaultTolerationSeconds"}, false},
		{"unknown refused", []string{"AlwaysPullImages"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{}, tt.enabled)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Names(); !slices.Equal(got, tt.want) {
				t.Errorf("names = %v, want %v", got, tt.want)
			}
		})
	}
}
