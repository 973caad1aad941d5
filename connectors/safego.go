package connectors

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"runtime"
	"runtime/debug"
	"strings"
)

// A panic while decoding an answer (a type assertion on a value of an unexpected type, an
// index past the end of an odd list) is a bug in crmsync, or data its code cannot read. In a
// goroutine that does not recover it, it ends the worker process, and then the next worker
// the attempt moves to; in an activity's own goroutine the Temporal SDK fails the attempt
// with a PanicError, which the sync's retry policy retries without end. Recover, Safe and
// Recovered turn it into an *Error instead: Kind KindConfig, so that it is not retried (the
// same data would panic the same way) and the sync pauses the connection with its message,
// which names the system, the operation, the panic and the line of code it came from; the
// stack is logged once, where the panic is recovered.

// Recovered returns the error of a recovered panic value p, met during op on system, and
// logs the panic's stack. A value that is already such an error (raised again by a caller
// that had no error to return it by) is returned as it is, logged once.
func Recovered(system, op string, p any) *Error {
	var e *Error
	if err, ok := p.(error); ok && errors.As(err, &e) && e.Panicked {
		return e
	}
	reason := Redact(fmt.Sprint(p))
	where := panicSite()
	slog.Default().Error("recovered a panic: the call fails with an error naming it instead of ending the worker",
		"system", system, "op", op, "panic", reason, "at", where, "stack", string(debug.Stack()))
	msg := "panic: " + reason
	if where != "" {
		msg += " in " + where
	}
	msg += ": a bug in crmsync, or data it cannot read; retrying would fail the same way — report this message, with the stack the worker logged"
	return &Error{Kind: KindConfig, System: system, Op: op, Message: msg, Panicked: true}
}

// Recover, deferred, turns a panic of the function that defers it into *err (see Recovered):
//
//	defer connectors.Recover(System, op, &err)
func Recover(system, op string, err *error) {
	if p := recover(); p != nil {
		*err = Recovered(system, op, p)
	}
}

// Safe runs fn and returns its error, or the error of its panic (see Recovered). A goroutine
// a connector starts runs its work through it, since nothing above a goroutine can recover
// its panic.
func Safe(system, op string, fn func() error) (err error) {
	defer Recover(system, op, &err)
	return fn()
}

// IsPanic reports whether err is, or wraps, the error of a recovered panic.
func IsPanic(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Panicked
}

// PanicIn says in the error of a recovered panic what was being done when it came (an
// object and a cursor, which the code that panicked may not know): a copy with where before
// its message. Any other error is returned as it is.
func PanicIn(err error, where string) error {
	var e *Error
	if where == "" || !errors.As(err, &e) || !e.Panicked {
		return err
	}
	named := *e
	named.Message = where + ": " + e.Message
	return &named
}

// panicSite names the function and line a panic came from, seen from a function a deferred
// call made while the panic unwinds: the first frame below the deepest runtime.gopanic that
// is not the runtime's own (runtime.panicdottypeE and the like). The deepest, since a
// deferred function on the way may have recovered the panic and raised it again (resty
// does), which puts its own gopanic above. "" when it cannot tell.
func panicSite() string {
	pcs := make([]uintptr, 128)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	site, below := "", false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			below = true
		case below && !strings.HasPrefix(f.Function, "runtime."):
			fn := f.Function
			if i := strings.LastIndex(fn, "/"); i >= 0 {
				fn = fn[i+1:]
			}
			site, below = fmt.Sprintf("%s (%s:%d)", fn, path.Base(f.File), f.Line), false
		}
		if !more {
			return site
		}
	}
}
