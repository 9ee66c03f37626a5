package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/natefinch/lumberjack.v2"
)

// FileSink writes events as JSON lines. Write marshals the event on the
// caller's goroutine and queues the line; one goroutine writes queued lines
// in batches. When the queue is full, Write waits at most MaxWait for room
// and then drops the event, counting it in apiserver_audit_error_total and
// logging a warning: a stuck disk slows requests by at most MaxWait, it
// never stops the API server (upstream's "blocking" mode waits forever;
// this is a bounded version of it).
type FileSink struct {
	w       io.Writer
	closer  io.Closer
	queue   chan []byte
	maxWait time.Duration
	log     *slog.Logger
	events  prometheus.Counter
	errors  prometheus.Counter
	done    chan struct{}
	// mu guards closed: Writes hold it shared while queueing, Close
	// exclusively, so no Write sends on the closed queue.
	mu     sync.RWMutex
	closed bool
}

var _ Sink = (*FileSink)(nil)

// FileOptions configures a FileSink.
type FileOptions struct {
	// Path is the log file; "-" is standard output.
	Path string
	// MaxSizeMB, MaxBackups and MaxAgeDays rotate the file as
	// --audit-log-maxsize, --audit-log-maxbackup and --audit-log-maxage
	// (0: no limit, except size, where lumberjack's default 100 MB applies).
	MaxSizeMB, MaxBackups, MaxAgeDays int
	// QueueSize bounds the events waiting to be written (default 10000).
	QueueSize int
	// MaxWait is how long a request waits for room in a full queue before
	// its event is dropped (default 100ms).
	MaxWait time.Duration
	// Registerer receives apiserver_audit_event_total and
	// apiserver_audit_error_total; nil registers nothing.
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// NewFileSink opens the sink's file (or stdout) and starts its writer;
// Close flushes and stops it.
func NewFileSink(o FileOptions, stdout io.Writer) (*FileSink, error) {
	var w io.Writer = stdout
	var c io.Closer
	if o.Path != "-" {
		lj := &lumberjack.Logger{Filename: o.Path, MaxSize: o.MaxSizeMB, MaxBackups: o.MaxBackups, MaxAge: o.MaxAgeDays}
		// Open now so a bad path fails at start, not on the first request.
		if _, err := lj.Write(nil); err != nil {
			return nil, fmt.Errorf("audit log %s: %w", o.Path, err)
		}
		w, c = lj, lj
	}
	return newFileSink(w, c, o)
}

func newFileSink(w io.Writer, c io.Closer, o FileOptions) (*FileSink, error) {
	if o.QueueSize <= 0 {
		o.QueueSize = 10000
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 100 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &FileSink{
		w: w, closer: c, queue: make(chan []byte, o.QueueSize), maxWait: o.MaxWait, log: o.Log,
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: "apiserver_audit_event_total", Help: "Counter of audit events generated and sent to the audit backend."}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "apiserver_audit_error_total", Help: "Counter of audit events that failed to be audited properly. Plugin identifies the plugin affected by the error.", ConstLabels: prometheus.Labels{"plugin": "log"}}),
		done:   make(chan struct{}),
	}
	if o.Registerer != nil {
		for _, m := range []prometheus.Collector{s.events, s.errors} {
			if err := o.Registerer.Register(m); err != nil {
				return nil, fmt.Errorf("audit metrics: %w", err)
			}
		}
	}
	go s.run()
	return s, nil
}

// Write queues ev as one JSON line.
func (s *FileSink) Write(ev *Event) {
	line, err := json.Marshal(ev)
	if err != nil {
		s.errors.Inc()
		s.log.Warn("audit event not encodable", "auditID", ev.AuditID, "err", err)
		return
	}
	line = append(line, '\n')
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.errors.Inc()
		return
	}
	s.events.Inc()
	select {
	case s.queue <- line:
		return
	default:
	}
	t := time.NewTimer(s.maxWait)
	defer t.Stop()
	select {
	case s.queue <- line:
	case <-t.C:
		s.errors.Inc()
		s.log.Warn("audit queue full, event dropped", "auditID", ev.AuditID, "stage", ev.Stage)
	}
}

// run writes queued lines, flushing whenever the queue runs empty.
func (s *FileSink) run() {
	defer close(s.done)
	bw := bufio.NewWriterSize(s.w, 64<<10)
	for line := range s.queue {
		s.writeLine(bw, line)
		for drained := false; !drained; {
			select {
			case more, ok := <-s.queue:
				if !ok {
					drained = true
					break
				}
				s.writeLine(bw, more)
			default:
				drained = true
			}
		}
		if err := bw.Flush(); err != nil {
			s.errors.Inc()
			s.log.Warn("audit log flush failed", "err", err)
		}
	}
}

func (s *FileSink) writeLine(bw *bufio.Writer, line []byte) {
	if _, err := bw.Write(line); err != nil {
		s.errors.Inc()
		s.log.Warn("audit log write failed", "err", err)
	}
}

// Close writes what is queued and closes the file; later Writes are
// dropped and counted as errors.
func (s *FileSink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.queue)
	s.mu.Unlock()
	<-s.done
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}
