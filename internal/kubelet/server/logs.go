package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// logOptions are the query parameters of /containerLogs, as in
// PodLogOptions.
type logOptions struct {
	follow, previous, timestamps bool
	tail                         int64 // < 0: everything
	since                        time.Time
	limit                        int64 // <= 0: no limit
}

func parseLogOptions(q url.Values, now time.Time) (logOptions, error) {
	o := logOptions{tail: -1}
	var err error
	for name, dst := range map[string]*bool{"follow": &o.follow, "previous": &o.previous, "timestamps": &o.timestamps} {
		if v := q.Get(name); v != "" {
			if *dst, err = strconv.ParseBool(v); err != nil {
				return o, badRequest("invalid %s %q: must be true or false", name, v)
			}
		}
	}
	if v := q.Get("tailLines"); v != "" {
		if o.tail, err = strconv.ParseInt(v, 10, 64); err != nil || o.tail < 0 {
			return o, badRequest("invalid tailLines %q: must be a non-negative integer", v)
		}
	}
	if v := q.Get("limitBytes"); v != "" {
		if o.limit, err = strconv.ParseInt(v, 10, 64); err != nil || o.limit < 1 {
			return o, badRequest("invalid limitBytes %q: must be a positive integer", v)
		}
	}
	if v := q.Get("sinceSeconds"); v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs < 1 {
			return o, badRequest("invalid sinceSeconds %q: must be a positive integer", v)
		}
		o.since = now.Add(-time.Duration(secs) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" {
		if o.since, err = time.Parse(time.RFC3339, v); err != nil {
			return o, badRequest("invalid sinceTime %q: must be RFC3339", v)
		}
	}
	return o, nil
}

// logLine is one line of a CRI log file:
// "2026-11-27T21:00:00.123456789Z stdout F content".
type logLine struct {
	ts      time.Time
	partial bool
	content []byte
}

func parseCRILine(line []byte) (logLine, error) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	fields := bytes.SplitN(line, []byte(" "), 4)
	if len(fields) < 3 {
		return logLine{}, fmt.Errorf("malformed CRI log line %q", line)
	}
	ts, err := time.Parse(time.RFC3339Nano, string(fields[0]))
	if err != nil {
		return logLine{}, fmt.Errorf("malformed CRI log timestamp %q: %w", fields[0], err)
	}
	l := logLine{ts: ts, partial: string(fields[2]) == "P"}
	if len(fields) == 4 {
		l.content = fields[3]
	}
	return l, nil
}

// tailOffset returns where the last n lines of r begin (0 when n < 0 or the
// file has fewer lines).
func tailOffset(r io.Reader, n int64) (int64, error) {
	if n < 0 {
		return 0, nil
	}
	starts := make([]int64, 0, n+1)
	var off int64
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && (err == nil || errors.Is(err, bufio.ErrBufferFull)) {
			if err == nil {
				starts = append(starts, off)
				if int64(len(starts)) > n {
					starts = starts[1:]
				}
			}
		}
		off += int64(len(line))
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if len(starts) == 0 {
		return off, nil
	}
	return starts[0], nil
}

// errLimit ends copying once limitBytes have been written.
var errLimit = errors.New("log limit reached")

// logWriter writes decoded lines to the client, honouring timestamps and
// the byte limit, and flushing when following.
type logWriter struct {
	w          io.Writer
	timestamps bool
	left       int64 // < 0: unlimited
	flush      func()
}

func (lw *logWriter) line(l logLine) error {
	var buf bytes.Buffer
	if lw.timestamps {
		buf.WriteString(l.ts.UTC().Format(time.RFC3339Nano))
		buf.WriteByte(' ')
	}
	buf.Write(l.content)
	if !l.partial {
		buf.WriteByte('\n')
	}
	out := buf.Bytes()
	if lw.left >= 0 && int64(len(out)) >= lw.left {
		_, err := lw.w.Write(out[:lw.left])
		lw.left = 0
		return errors.Join(errLimit, err)
	}
	if lw.left >= 0 {
		lw.left -= int64(len(out))
	}
	_, err := lw.w.Write(out)
	return err
}

// copyLogs writes the log at path to lw per o. When following, it waits for
// more lines while running reports the container alive.
func (s *Server) copyLogs(ctx context.Context, lw *logWriter, f io.ReadSeeker, o logOptions, running func() bool) error {
	start, err := tailOffset(f, o.tail)
	if err != nil {
		return fmt.Errorf("read log file: %w", err)
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return fmt.Errorf("seek log file: %w", err)
	}
	br := bufio.NewReader(f)
	var pending []byte
	var ticker interface {
		C() <-chan time.Time
		Stop()
	}
	for {
		chunk, err := br.ReadBytes('\n')
		pending = append(pending, chunk...)
		if err == nil {
			l, perr := parseCRILine(pending)
			pending = pending[:0]
			if perr != nil {
				s.opts.Log.Debug("skipping log line", "err", perr)
				continue
			}
			if !o.since.IsZero() && l.ts.Before(o.since) {
				continue
			}
			if err := lw.line(l); err != nil {
				return err
			}
			continue
		}
		if !errors.Is(err, io.EOF) {
			return fmt.Errorf("read log file: %w", err)
		}
		if !o.follow {
			return nil
		}
		lw.flush()
		alive := running()
		if ticker == nil {
			ticker = s.opts.Clock.NewTicker(s.opts.FollowPoll)
			defer ticker.Stop()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C():
		}
		if !alive {
			// One more read picks up what was written before the exit.
			o.follow = false
		}
	}
}

// serveLogs is GET /containerLogs/{ns}/{pod}/{container}.
func (s *Server) serveLogs(w http.ResponseWriter, r *http.Request) {
	ns, pod, container := r.PathValue("ns"), r.PathValue("pod"), r.PathValue("container")
	o, err := parseLogOptions(r.URL.Query(), s.opts.Clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.containers(r.Context(), ns, pod, container)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	idx := 0
	if o.previous {
		idx = 1
	}
	if len(list) <= idx {
		if o.previous {
			s.fail(w, r, badRequest("previous terminated container %q in pod %q not found", container, pod))
		} else {
			s.fail(w, r, s.notRunning(ns, pod, container))
		}
		return
	}
	id := list[idx].Id
	st, err := s.opts.Runtime.ContainerStatus(r.Context(), id, false)
	if err != nil {
		s.fail(w, r, fmt.Errorf("status of container %s: %w", id, err))
		return
	}
	f, err := os.Open(st.GetStatus().GetLogPath())
	if err != nil {
		s.fail(w, r, fmt.Errorf("open log of container %s: %w", id, err))
		return
	}
	defer f.Close()
	running := func() bool {
		st, err := s.opts.Runtime.ContainerStatus(r.Context(), id, false)
		return err == nil && st.GetStatus().GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	w.Header().Set("Content-Type", "text/plain")
	flusher, _ := w.(http.Flusher)
	lw := &logWriter{w: w, timestamps: o.timestamps, left: -1, flush: func() {
		if flusher != nil {
			flusher.Flush()
		}
	}}
	if o.limit > 0 {
		lw.left = o.limit
	}
	if err := s.copyLogs(r.Context(), lw, f, o, running); err != nil && !errors.Is(err, errLimit) {
		s.opts.Log.Warn("serving container log", "pod", ns+"/"+pod, "container", container, "err", err)
	}
}
