// Command pause is the sandbox (infra) container of every Capstan pod: it
// holds the pod's namespaces open by doing nothing. It exits 0 on SIGTERM or
// SIGINT and, being PID 1 of the pod when the PID namespace is shared, reaps
// orphaned children.
//
// It is compiled by hack/build-pause.sh into pause-linux-<arch>, which the
// images package embeds; it must stay a tiny static program without
// dependencies beyond the standard library.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		os.Exit(0)
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
