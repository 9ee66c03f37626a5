//go:build !amd64

package images

import (
	"fmt"
	"runtime"
)

// pauseBinary is the pause program for this architecture; only amd64 is
// built so far (hack/build-pause.sh ARCH adds another, with an embed file).
func pauseBinary() ([]byte, error) {
	return nil, fmt.Errorf("pause image not built for %s: run hack/build-pause.sh %s and add an embed file", runtime.GOARCH, runtime.GOARCH)
}
