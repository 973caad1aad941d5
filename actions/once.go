package actions

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"

	"github.com/crmsync/crmsync/connectors"
)

// CallSent is what an any-call that writes heartbeats just before it is sent, so that the
// retry of an attempt that never reported (a worker gone, a timeout) does not send it again;
// the zero value once the system refused it (nothing written). Its JSON name is its own: a
// create's details do not read as one.
type CallSent struct {
	Sent bool `json:"call_sent,omitempty"`
}

// SendOnce guards an any-call that writes, named what ("sellsy: POST /companies"): it fails
// as Unconfirmed when an earlier attempt sent it without reporting, and heartbeats that this
// one sends it.
func SendOnce(ctx context.Context, what string) error {
	var hb CallSent
	if activity.HasHeartbeatDetails(ctx) && activity.GetHeartbeatDetails(ctx, &hb) == nil && hb.Sent {
		return Unconfirmed(fmt.Sprintf("%s: an earlier attempt sent it and never reported (a worker lost, a timeout): it may or may not have been applied, so it is not sent again; check, and call it again if it was not", what))
	}
	// Sent at once, as an attempt's first heartbeat is: the next attempt knows.
	activity.RecordHeartbeat(ctx, CallSent{Sent: true})
	return nil
}

// GuardCall guards an any-call to method and path as its input gives them (any case, a
// query on the path), named prefix ("Sellsy", "sellsy"): once reports that it writes and may
// not be sent twice (repeatable, given the method upper-cased and the path without its query,
// says it may not), in which case SendOnce guarded it; what names it for CallError.
func GuardCall(ctx context.Context, repeatable func(method, path string) bool, prefix, method, path string) (once bool, what string, err error) {
	method = strings.ToUpper(strings.TrimSpace(method))
	path, _, _ = strings.Cut(strings.TrimSpace(path), "?")
	once, what = !repeatable(method, path), prefix+": "+method+" "+path
	if once {
		err = SendOnce(ctx, what)
	}
	return once, what, err
}

// CallError is the error of a failed any-call, named what. One that writes (once) fails as
// Unconfirmed when no answer said it was refused; refused, it takes back its heartbeat.
func CallError(ctx context.Context, once bool, what string, err error) error {
	if once && connectors.NothingWritten(err) {
		activity.RecordHeartbeat(ctx, CallSent{})
	} else if once && connectors.KindOf(err) == connectors.KindRetryable {
		return Unconfirmed(fmt.Sprintf("%s got no answer saying whether it was applied (%v): it may or may not have been, so it is not sent again; check, and call it again if it was not", what, err))
	}
	return ToTemporal(err)
}
