package unas

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// windowCache holds the pages of the last order listing begun afresh: every order modified in
// its window from..to (unix seconds; from -1: since the first), by offset. The objects a
// connection derives from orders (orders, customers as persons, businesses and webshop cards,
// order statuses) each list them every cycle, and each in the initial import: a listing that
// begins after this one did, for a Since it covers, adopts its window and reads its pages
// here, so a cycle spends its multi-order calls (30 an hour on PREMIUM) once rather than once
// an object.
//
// The first memOrders orders stay in memory; the pages after them go to a temporary file
// (gob-encoded, about 600 bytes an order of a few items), up to diskOrders, so that the
// import of a large shop reads each page once whatever its size while the worker's memory
// stays flat. A page beyond
// both bounds is read again. The file is unlinked as soon as it is created: the space comes
// back when the next window starts or the process ends, even after a crash.
type windowCache struct {
	dir        string // of the spill file; "" is os.TempDir()
	memOrders  int    // 0: defaultMemOrders
	diskOrders int    // 0: defaultDiskOrders

	mu       sync.Mutex
	ok       bool
	from, to int64
	at       time.Time          // when the listing began: its window goes up to then (to the second)
	pages    map[int64][]xOrder // in memory, by offset
	n        int                // orders in pages
	spilled  map[int64]span     // in the spill file, by offset
	nSpilled int
	file     *os.File
	size     int64 // bytes written to file
}

// span is where a spilled page lies in the spill file.
type span struct{ off, n int64 }

const (
	defaultMemOrders  = 10_000  // 18 MB of heap, measured on seeded orders
	defaultDiskOrders = 500_000 // about 300 MB of disk
)

func (w *windowCache) bounds() (mem, disk int) {
	mem, disk = w.memOrders, w.diskOrders
	if mem == 0 {
		mem = defaultMemOrders
	}
	if disk == 0 {
		disk = defaultDiskOrders
	}
	return mem, disk
}

// keep records a page read at offset of window from..to, by a listing begun at began. A first
// page read afresh starts a new window. A page that cannot be spilled is simply not kept.
func (w *windowCache) keep(from, to, offset int64, began time.Time, orders []xOrder) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ok || w.from != from || w.to != to {
		if offset != 0 || to != began.Unix() {
			return // a page of another window than a fresh listing's
		}
		w.reset()
		w.ok, w.from, w.to, w.at, w.pages = true, from, to, began, map[int64][]xOrder{}
	}
	if _, had := w.pages[offset]; had {
		return
	}
	if _, had := w.spilled[offset]; had {
		return
	}
	mem, disk := w.bounds()
	switch {
	case w.n+len(orders) <= mem:
		w.pages[offset], w.n = orders, w.n+len(orders)
	case w.nSpilled+len(orders) <= disk:
		if err := w.spill(offset, orders); err == nil {
			w.nSpilled += len(orders)
		}
	}
}

// spill appends a page to the spill file, creating it on first use.
func (w *windowCache) spill(offset int64, orders []xOrder) error {
	if w.file == nil {
		f, err := os.CreateTemp(w.dir, "crmsync-unas-window-*")
		if err != nil {
			return err
		}
		_ = os.Remove(f.Name()) // the open file lives on; nothing is left behind
		w.file, w.size, w.spilled = f, 0, map[int64]span{}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(orders); err != nil {
		return err
	}
	if _, err := w.file.WriteAt(buf.Bytes(), w.size); err != nil {
		return err
	}
	w.spilled[offset] = span{off: w.size, n: int64(buf.Len())}
	w.size += int64(buf.Len())
	return nil
}

// reset forgets the window and gives back the spill file's space.
func (w *windowCache) reset() {
	if w.file != nil {
		_ = w.file.Close()
	}
	w.ok, w.pages, w.n, w.spilled, w.nSpilled, w.file, w.size = false, nil, 0, nil, 0, nil, 0
}

// page returns the page at offset of window from..to, when it is kept.
func (w *windowCache) page(from, to, offset int64) ([]xOrder, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ok || w.from != from || w.to != to {
		return nil, false
	}
	if orders, ok := w.pages[offset]; ok {
		return orders, true
	}
	sp, ok := w.spilled[offset]
	if !ok {
		return nil, false
	}
	orders, err := w.unspill(sp)
	if err != nil {
		delete(w.spilled, offset) // read from UNAS instead
		return nil, false
	}
	return orders, true
}

func (w *windowCache) unspill(sp span) ([]xOrder, error) {
	var orders []xOrder
	if err := gob.NewDecoder(io.NewSectionReader(w.file, sp.off, sp.n)).Decode(&orders); err != nil {
		return nil, fmt.Errorf("unas window cache: %w", err)
	}
	return orders, nil
}

// adopt returns the window of the kept listing when it began at or after notBefore and covers
// from; the caller then leaves out the orders modified before from itself.
func (w *windowCache) adopt(from int64, notBefore time.Time) (wfrom, wto int64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, inMemory := w.pages[0]
	_, onDisk := w.spilled[0]
	if !w.ok || !(inMemory || onDisk) || w.at.Before(notBefore) || (w.from >= 0 && from < w.from) {
		return 0, 0, false
	}
	return w.from, w.to, true
}

// stats returns the orders kept in memory and on disk, and the spill file's size.
func (w *windowCache) stats() (inMemory, onDisk int, bytes int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n, w.nSpilled, w.size
}
