package sellsyactions

import (
	"context"
	"net/http"

	"go.temporal.io/sdk/activity"

	"github.com/crmsync/crmsync/actions"
	"github.com/crmsync/crmsync/connectors"
)

// DeleteInput names the record a delete activity deletes, by its Sellsy id.
//
//	{"id": 12}
type DeleteInput struct {
	ID int `json:"id"`
}

// DeleteOutput is the record deleted. AlreadyDeleted says Sellsy no longer had it when the
// DELETE was sent again after a lost answer (by the client, or by Temporal in a new
// attempt): the lost try deleted it.
//
//	{"id": 12}
type DeleteOutput struct {
	ID             int  `json:"id"`
	AlreadyDeleted bool `json:"already_deleted,omitempty"`
}

// DeleteCompany deletes a company (client, prospect or supplier) (activity Sellsy.DeleteCompany).
func (a *Actions) DeleteCompany(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	return a.deleteOne(ctx, "companies", in)
}

// DeleteIndividual deletes an individual (activity Sellsy.DeleteIndividual).
func (a *Actions) DeleteIndividual(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	return a.deleteOne(ctx, "individuals", in)
}

// DeleteContact deletes a contact (activity Sellsy.DeleteContact).
func (a *Actions) DeleteContact(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	return a.deleteOne(ctx, "contacts", in)
}

// DeleteOpportunity deletes an opportunity (activity Sellsy.DeleteOpportunity).
func (a *Actions) DeleteOpportunity(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	return a.deleteOne(ctx, "opportunities", in)
}

// DeleteEvent deletes a calendar event (activity Sellsy.DeleteEvent).
func (a *Actions) DeleteEvent(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	return a.deleteOne(ctx, "calendar-events", in)
}

// DeleteTask deletes a task (activity Sellsy.DeleteTask).
func (a *Actions) DeleteTask(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	return a.deleteOne(ctx, "tasks", in)
}

// DeleteComment deletes a comment (activity Sellsy.DeleteComment).
func (a *Actions) DeleteComment(ctx context.Context, in DeleteInput) (DeleteOutput, error) {
	return a.deleteOne(ctx, "comments", in)
}

// deleteOne sends DELETE /{collection}/{id}. A record Sellsy does not have (404) is
// InvalidRecord, unless an earlier attempt sent the DELETE (its CallSent heartbeat) or the
// client sent it again after a lost answer: then the record is reported deleted.
func (a *Actions) deleteOne(ctx context.Context, collection string, in DeleteInput) (DeleteOutput, error) {
	c, err := a.client()
	if err != nil {
		return DeleteOutput{}, err
	}
	// Heartbeated just before the DELETE (actions.CallSent), so that a retried attempt that
	// then finds no record reports it deleted (the earlier attempt's answer was lost) instead
	// of missing. A DELETE Sellsy refused (a 429, a 503) did nothing: the attempt heartbeats
	// what the attempts before it had done.
	var earlier actions.CallSent
	if activity.HasHeartbeatDetails(ctx) {
		// Undecodable details (another version's) say nothing was sent.
		_ = activity.GetHeartbeatDetails(ctx, &earlier)
	}
	activity.RecordHeartbeat(ctx, actions.CallSent{Sent: true})
	repeated, err := c.DeleteRecord(ctx, collection, in.ID)
	switch {
	case err == nil:
		return DeleteOutput{ID: in.ID, AlreadyDeleted: repeated}, nil
	case earlier.Sent && connectors.StatusOf(err) == http.StatusNotFound:
		return DeleteOutput{ID: in.ID, AlreadyDeleted: true}, nil
	case connectors.NothingWritten(err):
		activity.RecordHeartbeat(ctx, earlier)
	}
	return DeleteOutput{}, toTemporal(err)
}
