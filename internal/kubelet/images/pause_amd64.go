package images

import _ "embed"

//go:embed pause/pause-linux-amd64
var pauseAMD64 []byte

// pauseBinary is the pause program for this architecture.
func pauseBinary() ([]byte, error) { return pauseAMD64, nil }
