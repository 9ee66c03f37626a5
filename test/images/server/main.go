// Command server is the test server image: an HTTP server whose behaviour
// tests steer over HTTP.
//
//	GET /healthz          200 "ok" while healthy, 500 after /healthz/fail
//	GET /healthz/fail     make /healthz fail;  /healthz/ok heals it
//	GET /exit?code=N      exit with status N after answering
//	GET /hog?mb=N         allocate and touch N MiB, kept until exit
//	GET /hostname         the hostname
//	GET /env?name=X       the value of environment variable X
//
// Flags: -listen (default :8080, or $PORT), -exit-after DURATION and
// -exit-code N to exit on its own, -unhealthy to start failing /healthz.
// It exits 0 on SIGTERM.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", ":8080", "listen address")
	exitAfter := flag.Duration("exit-after", 0, "exit on its own after this long (0: never)")
	exitCode := flag.Int("exit-code", 0, "status for -exit-after")
	unhealthy := flag.Bool("unhealthy", false, "start with /healthz failing")
	flag.Parse()
	if p := os.Getenv("PORT"); p != "" && *listen == ":8080" {
		*listen = ":" + p
	}
	var healthy atomic.Bool
	healthy.Store(!*unhealthy)
	var mu sync.Mutex
	var hogs [][]byte
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !healthy.Load() {
			http.Error(w, "unhealthy", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/healthz/fail", func(w http.ResponseWriter, _ *http.Request) { healthy.Store(false) })
	mux.HandleFunc("/healthz/ok", func(w http.ResponseWriter, _ *http.Request) { healthy.Store(true) })
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		fmt.Fprintf(w, "exiting %d\n", code)
		go func() { time.Sleep(50 * time.Millisecond); os.Exit(code) }()
	})
	mux.HandleFunc("/hog", func(w http.ResponseWriter, r *http.Request) {
		mb, _ := strconv.Atoi(r.URL.Query().Get("mb"))
		b := make([]byte, mb<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		mu.Lock()
		hogs = append(hogs, b)
		mu.Unlock()
		fmt.Fprintf(w, "holding %d MiB more\n", mb)
	})
	mux.HandleFunc("/hostname", func(w http.ResponseWriter, _ *http.Request) {
		h, _ := os.Hostname()
		fmt.Fprintln(w, h)
	})
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, os.Getenv(r.URL.Query().Get("name")))
	})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sigs; os.Exit(0) }()
	if *exitAfter > 0 {
		go func() { time.Sleep(*exitAfter); os.Exit(*exitCode) }()
	}
	log.Printf("listening on %s", *listen)
	log.Fatal(http.ListenAndServe(*listen, mux))
}
