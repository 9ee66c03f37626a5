package apiserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/capstan/capstan/internal/storage"
	"github.com/capstan/capstan/internal/storage/cacher"
)

// bookmarkInterval is how often an idle watch that asked for bookmarks gets
// one.
const bookmarkInterval = 30 * time.Second

// watchStart decides where a watch begins: after a revision, optionally
// after replaying the current state as ADDED events.
type watchStart struct {
	initial  []runtime.Object
	after    int64
	sendEnd  bool // a bookmark marks the end of the initial events
	bookmark bool
}

func (s *Server) planWatch(rq *request, filter storage.Filter) (watchStart, error) {
	var st watchStart
	st.bookmark = boolParam(rq.q, "allowWatchBookmarks")
	rv := rq.q.Get("resourceVersion")
	sendInitial := rq.q.Get("sendInitialEvents")
	if sendInitial != "" {
		if rq.q.Get("resourceVersionMatch") != "NotOlderThan" || !st.bookmark {
			return st, apierrors.NewBadRequest("sendInitialEvents requires resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true")
		}
	}
	replay := rv == "" || rv == "0"
	if sendInitial != "" {
		replay = boolParam(rq.q, "sendInitialEvents")
		st.sendEnd = replay
	}
	if !replay {
		if rv == "" {
			n, err := s.store.CurrentRevision(rq.ctx)
			if err != nil {
				return st, storageError(err, rq.gr(), "")
			}
			st.after = n
			return st, nil
		}
		n, err := strconv.ParseInt(rv, 10, 64)
		if err != nil || n < 0 {
			return st, apierrors.NewBadRequest(fmt.Sprintf("invalid resource version %q", rv))
		}
		st.after = n
		return st, nil
	}
	res, err := s.store.List(rq.ctx, rq.res.collectionKey(rq.ri.namespace), storage.ListOptions{Filter: filter})
	if err != nil {
		return st, storageError(err, rq.gr(), "")
	}
	st.initial, st.after = res.Items, res.Revision
	return st, nil
}

func (s *Server) watch(rq *request) error {
	sel, err := s.parseSelection(rq)
	if err != nil {
		return err
	}
	filter := sel.storedFilter(rq.res)
	if rq.ri.name != "" {
		name, inner := rq.ri.name, filter
		filter = func(o runtime.Object) bool {
			m, err := meta.Accessor(o)
			return err == nil && m.GetName() == name && (inner == nil || inner(o))
		}
	}
	timeout := time.Duration(int64Param(rq.q, "timeoutSeconds", 0)) * time.Second
	if timeout <= 0 {
		timeout = 30*time.Minute + time.Duration(rand.Int64N(int64(30*time.Minute)))
	}
	ctx, cancel := context.WithTimeout(rq.ctx, timeout)
	defer cancel()
	rq.ctx = ctx
	start, err := s.planWatch(rq, filter)
	if err != nil {
		return err
	}
	events := s.caches.watch(ctx, rq.res.stored().storagePrefix(), rq.res.collectionKey(rq.ri.namespace),
		storage.WatchOptions{Recursive: true, After: start.after, Filter: filter})
	ws, err := s.newWatchStream(rq)
	if err != nil {
		return err
	}
	last := start.after
	if err := presentAll(rq.res, start.initial); err != nil {
		return err
	}
	for _, obj := range start.initial {
		if !ws.send(watch.Added, obj) {
			return nil
		}
	}
	if start.sendEnd && !ws.sendBookmark(last, true) {
		return nil
	}
	tick := time.NewTicker(bookmarkInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if start.bookmark && !ws.sendBookmark(last, false) {
				return nil
			}
		case e, ok := <-events:
			if !ok {
				return nil
			}
			if errors.Is(e.Err, cacher.ErrSlowWatcher) {
				// The client re-watches from its last resourceVersion.
				return nil
			}
			if e.Err != nil {
				ws.sendError(storageError(e.Err, rq.gr(), ""))
				return nil
			}
			last = e.Revision
			obj, err := rq.res.present(e.Object)
			if err != nil {
				ws.sendError(err)
				return nil
			}
			if !ws.send(e.Type, obj) {
				return nil
			}
		}
	}
}

// watchStream writes framed watch events to one client.
type watchStream struct {
	s       *Server
	rq      *request
	frames  interface{ Write([]byte) (int, error) }
	flusher *http.ResponseController
	columns bool // the next Table event still needs column definitions
	buf     bytes.Buffer
}

func (s *Server) newWatchStream(rq *request) (*watchStream, error) {
	info := rq.acc.info
	if info.StreamSerializer == nil {
		return nil, errNotAcceptable(info.MediaType + " does not support watch")
	}
	ct := info.MediaType
	if ct == mediaProtobuf {
		ct += ";stream=watch"
	}
	rq.w.Header().Set("Content-Type", ct)
	rq.w.Header().Set("Transfer-Encoding", "chunked")
	rq.w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(rq.w)
	_ = rc.Flush()
	return &watchStream{s: s, rq: rq, frames: info.StreamSerializer.Framer.NewFrameWriter(rq.w), flusher: rc, columns: true}, nil
}

// send writes one event; false means the client is gone.
func (ws *watchStream) send(t watch.EventType, obj runtime.Object) bool {
	ws.s.setKind(obj)
	switch ws.rq.acc.kind {
	case outputTable:
		tbl, err := ws.s.toTable(ws.rq, []runtime.Object{obj}, ws.columns)
		if err != nil {
			ws.sendError(err)
			return false
		}
		if m, err := meta.Accessor(obj); err == nil {
			tbl.ResourceVersion = m.GetResourceVersion()
		}
		ws.columns = false
		obj = tbl
	case outputPartialMetadata:
		obj = partialMetadata(obj)
	}
	return ws.write(t, obj)
}

func (ws *watchStream) write(t watch.EventType, obj runtime.Object) bool {
	info := ws.rq.acc.info
	ws.buf.Reset()
	if err := info.Serializer.Encode(obj, &ws.buf); err != nil {
		ws.s.log.Error("encode watch object", "err", err)
		return false
	}
	ev := &metav1.WatchEvent{Type: string(t), Object: runtime.RawExtension{Raw: ws.buf.Bytes()}}
	if err := info.StreamSerializer.Serializer.Encode(ev, ws.frames); err != nil {
		return false
	}
	return ws.flusher.Flush() == nil
}

// sendBookmark writes a BOOKMARK at rev: an empty object of the kind with
// only its resourceVersion (and the initial-events-end annotation).
func (ws *watchStream) sendBookmark(rev int64, initialEnd bool) bool {
	obj, err := ws.s.scheme.New(ws.rq.res.GVK)
	if err != nil {
		return false
	}
	m, _ := meta.Accessor(obj)
	m.SetResourceVersion(strconv.FormatInt(rev, 10))
	if initialEnd {
		m.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
	}
	ws.s.setKind(obj)
	// Bookmarks come in the form the client asked for, as upstream: a
	// metadata-only client cannot decode the full kind.
	switch ws.rq.acc.kind {
	case outputPartialMetadata:
		obj = partialMetadata(obj)
	case outputTable:
		tbl := &metav1.Table{ListMeta: metav1.ListMeta{ResourceVersion: m.GetResourceVersion()}}
		ws.s.setKind(tbl)
		obj = tbl
	}
	return ws.write(watch.Bookmark, obj)
}

// sendError writes an ERROR event carrying err's Status.
func (ws *watchStream) sendError(err error) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		st = apierrors.NewInternalError(err)
	}
	status := st.Status()
	status.Kind, status.APIVersion = "Status", "v1"
	ws.write(watch.Error, &status)
}
