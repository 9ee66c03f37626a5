// Package images builds the images tests run, at test time, as docker-archive
// tars: a busybox image from the host's static busybox, and a small static Go
// HTTP server (see server/) with health toggles, exit-code control and a
// memory hog. Import them with internal/kubelet/images.Import.
//
// It is for tests only: nothing outside _test.go files and test/ may import
// it, and it must not pull anything from a network.
package images
