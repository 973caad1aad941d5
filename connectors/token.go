package connectors

import (
	"context"
	"sync"
	"time"
)

// Token keeps the bearer token of a system whose login answers one with a lifetime (weavy,
// Altior, UNAS). Get returns it while it is valid and logs in when there is none or it is
// about to expire — once, however many callers wait, since a burst of logins can lock an
// account; callers that waited for a refused login share its refusal — and Drop forgets a
// token the system refused. The zero value is ready to use.
type Token struct {
	System, Op string        // name the error of a caller whose context ends while it waits
	Margin     time.Duration // renew this long before expiry, or a tenth of the lifetime if less
	Now        func() time.Time
	// HoldRefused is how long a refused login (KindConfig, or a ban) is given to every later
	// caller as well, without logging in again, for a system that locks an account or bans an
	// IP after a few failed logins (UNAS: 5 an hour). Zero: only to the callers that waited.
	HoldRefused time.Duration

	once      sync.Once
	login     chan struct{} // one login at a time
	mu        sync.Mutex
	value     string
	renew     time.Time
	logins    uint64 // login attempts answered
	refused   error  // the last one's refusal (nil: it succeeded, or failed otherwise)
	refusedAt time.Time
}

// Login obtains a new token and the time it expires.
type Login func(ctx context.Context) (value string, expires time.Time, err error)

// Get returns a valid token, calling login when there is none.
func (t *Token) Get(ctx context.Context, login Login) (string, error) {
	if v := t.valid(); v != "" {
		return v, nil
	}
	seen := t.answered()
	t.once.Do(func() { t.login = make(chan struct{}, 1) })
	select {
	case t.login <- struct{}{}:
	case <-ctx.Done():
		return "", &Error{Kind: KindRetryable, System: t.System, Op: t.Op, Message: ctx.Err().Error()}
	}
	defer func() { <-t.login }()
	if v := t.valid(); v != "" { // another caller logged in meanwhile
		return v, nil
	}
	if err := t.refusedFor(seen); err != nil {
		// The login this caller waited for was refused: each waiting caller logging in in
		// turn would spend the failed logins an account is locked after in one burst.
		return "", err
	}
	start := t.now()
	v, expires, err := login(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.logins++
	t.refused = nil
	if k := KindOf(err); err != nil && (k == KindConfig || k == KindRateLimited) {
		t.refused, t.refusedAt = err, t.now() // not a failure of the attempt's own, such as its context ending
	}
	if err != nil {
		return "", err
	}
	margin := min(t.Margin, expires.Sub(start)/10)
	t.value, t.renew = v, expires.Add(-margin)
	return v, nil
}

// answered returns how many login attempts were answered so far.
func (t *Token) answered() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.logins
}

// refusedFor returns the refusal of the last login attempt when one was answered after the
// first seen (the caller waited for it), or less than HoldRefused ago; else nil.
func (t *Token) refusedFor(seen uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.logins == seen && (t.refused == nil || t.now().Sub(t.refusedAt) >= t.HoldRefused) {
		return nil
	}
	return t.refused
}

// Drop forgets v if it is still the current token (after a 401).
func (t *Token) Drop(v string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.value == v {
		t.value = ""
	}
}

// Current returns the current token, valid or not ("" when none), for scrubbing messages.
func (t *Token) Current() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.value
}

func (t *Token) valid() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.value != "" && t.now().Before(t.renew) {
		return t.value
	}
	return ""
}

func (t *Token) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}
