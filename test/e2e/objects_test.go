package e2e

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCreateFromLiteral(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-literal")
		tests := []struct {
			name     string
			args     []string
			want     string
			get      []string
			jsonpath string
			value    string
			header   string
			row      string // without AGE
		}{
			{"secret", []string{"create", "secret", "generic", "creds", "--from-literal=user=admin", "--from-literal=pass=s3cr3t"},
				"secret/creds created\n", []string{"secret", "creds"},
				"{.type} {.data.user} {.data.pass}", "Opaque YWRtaW4= czNjcjN0",
				"NAME TYPE DATA AGE", "creds Opaque 2"},
			{"configmap", []string{"create", "configmap", "settings", "--from-literal=mode=fast", "--from-literal=level=3"},
				"configmap/settings created\n", []string{"configmap", "settings"},
				"{.data.mode} {.data.level}", "fast 3",
				"NAME DATA AGE", "settings 2"},
		}
		for _, tt := range tests {
			wantEqual(t, tt.name, k.ok(append([]string{"-n", ns}, tt.args...)...), tt.want)
			got := k.ok(append([]string{"-n", ns, "get", "-o", "jsonpath=" + tt.jsonpath}, tt.get...)...)
			wantEqual(t, tt.name+" data", got, tt.value)
			rows := fields(k.ok(append([]string{"-n", ns, "get"}, tt.get...)...))
			if len(rows) != 2 {
				t.Fatalf("get %s: want header and one row, got %q", tt.name, rows)
			}
			wantEqual(t, tt.name+" header", strings.Join(rows[0], " "), tt.header)
			wantEqual(t, tt.name+" row", strings.Join(rows[1][:len(rows[1])-1], " "), tt.row)
		}
	})
}

// eventYAML is a core/v1 Event about the Deployment web.
func eventYAML(ns, uid string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Event
metadata:
  name: web.e2e
  namespace: %[1]s
involvedObject:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: %[1]s
  uid: %[2]s
reason: ScalingReplicaSet
message: Scaled up replica set web-e2e to 1
type: Normal
source:
  component: deployment-controller
count: 1
firstTimestamp: "2020-01-01T00:00:00Z"
lastTimestamp: "2020-01-01T00:00:00Z"
`, ns, uid)
}

// TestDescribeWithEvents creates an Event whose involvedObject is a
// Deployment; describe must list it under Events.
func TestDescribeWithEvents(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-describe")
		// No replicas: no controller event can race with the one created here.
		k.okIn(strings.Replace(deploymentYAML(ns, "web", "nginx:1.25"), "replicas: 1", "replicas: 0", 1), "apply", "-f", "-")
		before := k.ok("-n", ns, "describe", "deployment", "web")
		if !regexp.MustCompile(`\nEvents:\s+<none>\n$`).MatchString(before) {
			t.Errorf("describe without events must end with Events: <none>:\n%s", before)
		}
		uid := k.ok("-n", ns, "get", "deployment", "web", "-o", "jsonpath={.metadata.uid}")
		wantEqual(t, "create event", k.okIn(eventYAML(ns, uid), "create", "-f", "-"), "event/web.e2e created\n")

		out := k.ok("-n", ns, "describe", "deployment", "web")
		for _, prefix := range []string{"Name:", "Namespace:", "Selector:", "Replicas:", "StrategyType:", "Pod Template:"} {
			if !hasLinePrefix(out, prefix) {
				t.Errorf("describe lacks a %q line:\n%s", prefix, out)
			}
		}
		wantContains(t, "describe", out, "Name:                   web\n", "Namespace:              "+ns+"\n",
			"Selector:               app=web\n", "Replicas:               0 desired | 0 updated | 0 total | 0 available | 0 unavailable\n")
		events := out[strings.Index(out, "\nEvents:")+1:]
		rows := fields(events)
		if len(rows) != 4 {
			t.Fatalf("describe Events section: want title, header, rule and one event, got:\n%s", events)
		}
		wantEqual(t, "events header", strings.Join(rows[1], " "), "Type Reason Age From Message")
		ev := rows[3]
		wantEqual(t, "event row (without Age)", strings.Join(append(ev[:2:2], ev[3:]...), " "),
			"Normal ScalingReplicaSet deployment-controller Scaled up replica set web-e2e to 1")
	})
}

func hasLinePrefix(text, prefix string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

// TestGetWatch starts `kubectl get -w` and checks that it prints a row for
// every change made while it runs.
func TestGetWatch(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-watch")
		k.ok("-n", ns, "create", "configmap", "w", "--from-literal=a=1")
		lines := k.watchLines(t, "-n", ns, "get", "configmap", "w", "-w",
			"-o", "custom-columns=NAME:.metadata.name,STEP:.metadata.labels.step")
		next := func(what string) string {
			t.Helper()
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("kubectl get -w ended before %s", what)
				}
				return strings.Join(strings.Fields(l), " ")
			case <-time.After(30 * time.Second):
				t.Fatalf("kubectl get -w printed no %s within 30s", what)
			}
			return ""
		}
		wantEqual(t, "watch header", next("header"), "NAME STEP")
		wantEqual(t, "watch initial row", next("initial row"), "w <none>")
		for _, step := range []string{"one", "two", "three"} {
			k.ok("-n", ns, "label", "configmap", "w", "step="+step, "--overwrite")
			wantEqual(t, "watch row after label step="+step, next("row for step="+step), "w "+step)
		}
	})
}

// watchLines runs a long-lived kubectl and streams its stdout lines; the
// process is stopped in t.Cleanup.
func (k *kubectl) watchLines(t *testing.T, args ...string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := k.command(ctx, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kubectl %s: %v", strings.Join(args, " "), err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	return lines
}

// TestWait checks kubectl wait --for=jsonpath, both for a condition already
// true and for one that becomes true while kubectl waits.
func TestWait(t *testing.T) {
	t.Parallel()
	c := startCluster(t, serverOptions{})
	forEachKubectl(t, c, func(t *testing.T, k *kubectl) {
		ns := k.namespace("e2e-wait")
		k.okIn(deploymentYAML(ns, "web", "nginx:1.25"), "apply", "-f", "-")
		wantEqual(t, "wait for a true condition",
			k.ok("-n", ns, "wait", "--for=jsonpath={.spec.replicas}=1", "deployment/web", "--timeout=20s"),
			"deployment.apps/web condition met\n")

		done := make(chan result, 1)
		go func() {
			done <- k.run("-n", ns, "wait", "--for=jsonpath={.spec.replicas}=4", "deployment/web", "--timeout=30s")
		}()
		time.Sleep(time.Second) // let kubectl start waiting
		k.ok("-n", ns, "scale", "deployment", "web", "--replicas=4")
		r := <-done
		if r.err != nil {
			t.Fatalf("wait for a condition made true later: %v\n%s", r.err, r.stderr)
		}
		wantEqual(t, "wait for a condition made true later", r.stdout, "deployment.apps/web condition met\n")

		stderr := k.fails("-n", ns, "wait", "--for=jsonpath={.spec.replicas}=9", "deployment/web", "--timeout=2s")
		wantEqual(t, "wait timing out", stderr, "error: timed out waiting for the condition on deployments/web\n")
	})
}
