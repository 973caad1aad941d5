package store

import (
	"context"
	"hash/fnv"
	"sync"
)

// Locker serialises the writers of one key. The activities take a connection's object before
// they match records and create what is missing, and hold it until the pairs are saved: a push
// or a retry of the quarantine running while a pass reads the same new record would otherwise
// both find it unpaired and both create it. SQLite (one worker process) locks in the
// process; PostgreSQL takes an advisory lock, which every worker sharing the database sees.
type Locker interface {
	// Lock waits until key is free, or ctx ends. unlock frees it; calling it again does nothing.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// keyedLocks is the in-process Locker.
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	held  chan struct{} // holds a token while the key is locked
	users int           // holders and waiters; the entry goes when none is left
}

func (k *keyedLocks) Lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{held: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	select {
	case l.held <- struct{}{}:
	case <-ctx.Done():
		k.leave(key, l)
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.held
			k.leave(key, l)
		})
	}, nil
}

func (k *keyedLocks) leave(key string, l *keyLock) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if l.users--; l.users == 0 {
		delete(k.locks, key)
	}
}

// advisoryKey maps a key to PostgreSQL's 64-bit advisory lock space.
func advisoryKey(key string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("crmsync/" + key))
	return int64(h.Sum64())
}
