package store

import (
	"context"
	"errors"
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
	// LockHeld is Lock, and returns a context (from ctx) for the holder's work that ends when
	// the lock is lost, with a cause wrapping ErrLockLost (context.Cause): on PostgreSQL, the
	// session holding it ended (a failover, a restart, a network cut), so that another worker
	// may hold it now. The holder's writes under the lock use that context, and it checks
	// context.Cause before the last ones. The context ends at unlock too.
	LockHeld(ctx context.Context, key string) (held context.Context, unlock func(), err error)
}

// ErrLockLost is the cause (context.Cause) of a LockHeld context ended by the lock's loss.
var ErrLockLost = errors.New("store: the lock was lost")

// errUnlocked is the cause of a LockHeld context ended by its unlock.
var errUnlocked = errors.New("store: unlocked")

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

// LockHeld is Lock: a lock in the process is not lost while the process lives.
func (k *keyedLocks) LockHeld(ctx context.Context, key string) (context.Context, func(), error) {
	unlock, err := k.Lock(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	held, cancel := context.WithCancelCause(ctx)
	return held, func() {
		unlock()
		cancel(errUnlocked)
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
