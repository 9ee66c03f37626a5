package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kubectlDir holds the versioned kubectl binaries of the machine.
const kubectlDir = "/usr/lib/google-cloud-sdk/bin"

// kubectlVersions are the client versions every kubectl case runs with: the
// oldest and the newest we promise to serve.
func kubectlVersions() []string { return []string{"1.27", "1.33"} }

const kubectlTimeout = 60 * time.Second

// kubectl runs one kubectl binary against one cluster, with a private HOME so
// discovery caches of other servers (that used the same port) never leak in.
type kubectl struct {
	t          testing.TB
	cluster    *cluster
	version    string
	path       string
	kubeconfig string
	home       string
}

// result is what one kubectl invocation printed.
type result struct {
	stdout, stderr string
	err            error
}

// forEachKubectl runs f in a subtest per kubectl version against c,
// skipping versions whose binary is missing.
// newKubectl is kubectl 1.33 for c, with its own home directory.
func newKubectl(t testing.TB, c *cluster) *kubectl {
	return &kubectl{t: t, cluster: c, version: "1.33", path: filepath.Join(kubectlDir, "kubectl.1.33"), kubeconfig: c.kubeconfig, home: t.TempDir()}
}

func forEachKubectl(t *testing.T, c *cluster, f func(t *testing.T, k *kubectl)) {
	t.Helper()
	for _, v := range kubectlVersions() {
		t.Run("kubectl-"+v, func(t *testing.T) {
			path := filepath.Join(kubectlDir, "kubectl."+v)
			if _, err := os.Stat(path); err != nil {
				t.Skipf("kubectl %s not installed at %s: %v", v, path, err)
			}
			f(t, &kubectl{t: t, cluster: c, version: v, path: path, kubeconfig: c.kubeconfig, home: t.TempDir()})
		})
	}
}

// in returns a copy of k that reports to t, for use inside a subtest.
func (k *kubectl) in(t *testing.T) *kubectl {
	c := *k
	c.t = t
	return &c
}

// run runs kubectl with args and no stdin.
func (k *kubectl) run(args ...string) result { return k.runIn("", args...) }

// runIn runs kubectl with args and stdin.
func (k *kubectl) runIn(stdin string, args ...string) result {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	cmd := k.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("kubectl %s: timed out after %s: %w", strings.Join(args, " "), kubectlTimeout, err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), err: err}
}

// command builds a kubectl command; the caller runs it.
func (k *kubectl) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, k.path, append([]string{"--kubeconfig", k.kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+k.home, "KUBECONFIG="+k.kubeconfig, "KUBECTL_KUBERC=false")
	return cmd
}

// ok runs kubectl, fails the test unless it succeeds, and returns stdout.
func (k *kubectl) ok(args ...string) string { k.t.Helper(); return k.okIn("", args...) }

// okIn is ok with stdin.
func (k *kubectl) okIn(stdin string, args ...string) string {
	k.t.Helper()
	r := k.runIn(stdin, args...)
	if r.err != nil {
		k.t.Fatalf("kubectl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs kubectl, fails the test unless it fails, and returns stderr.
func (k *kubectl) fails(args ...string) string {
	k.t.Helper()
	r := k.run(args...)
	if r.err == nil {
		k.t.Fatalf("kubectl %s succeeded, want an error\nstdout:\n%s", strings.Join(args, " "), r.stdout)
	}
	return r.stderr
}

// namespace creates a namespace named prefix-<kubectl version> and returns
// its name, so the subtests of different versions never share objects.
func (k *kubectl) namespace(prefix string) string {
	k.t.Helper()
	name := versionedName(prefix, k.version)
	want := "namespace/" + name + " created\n"
	if got := k.ok("create", "namespace", name); got != want {
		k.t.Fatalf("create namespace printed %q, want %q", got, want)
	}
	return name
}

// versionedName is prefix-<version with dashes>, e.g. e2e-get-1-27.
func versionedName(prefix, version string) string {
	return prefix + "-" + strings.ReplaceAll(version, ".", "-")
}

// wantEqual fails unless got equals want, showing both.
func wantEqual(t testing.TB, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got: %q\nwant: %q", what, got, want)
	}
}

// wantContains fails unless got contains every one of wants.
func wantContains(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: missing %q in:\n%s", what, w, got)
		}
	}
}

// fields splits a table into rows of whitespace-separated cells.
func fields(table string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(table, "\n"), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

// controllerLeaseWait is how long a fresh server gets to elect its
// controller manager leader before the controllers are taken to be absent.
const controllerLeaseWait = 10 * time.Second

// controllersRunning reports whether the controller manager (namespace
// controller, garbage collector) runs in the server, judged by its Lease
// kube-system/kube-controller-manager. The answer is computed once per server.
func controllersRunning(k *kubectl) bool {
	c := k.cluster
	c.controllersOnce.Do(func() {
		err := eventually(context.Background(), controllerLeaseWait, func() error {
			return k.run("get", "lease", "-n", "kube-system", "kube-controller-manager", "-o", "name").err
		})
		c.controllers = err == nil
	})
	return c.controllers
}

// requireControllers skips a case that needs the namespace controller or the
// garbage collector when the server does not run them yet.
func requireControllers(t *testing.T, k *kubectl, what string) {
	t.Helper()
	if !controllersRunning(k) {
		t.Skipf("%s needs the controller manager (namespace controller, garbage collector); "+
			"kube-system Lease kube-controller-manager does not exist, so it does not run in this server yet", what)
	}
}
