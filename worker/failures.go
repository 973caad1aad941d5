package main

import (
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/crmsync/crmsync/internal/utf8text"
)

// encodableFailures is the worker's failure converter: Temporal's own, with every message and
// stack trace made valid UTF-8. A failure travels to the server as protobuf, which refuses
// any other string: an error quoting an answer in Latin-2 (or cut inside a character) could
// not be reported, and its activity waited for its timeout instead of failing with its reason.
type encodableFailures struct {
	converter.FailureConverter
}

func newFailureConverter() converter.FailureConverter {
	return encodableFailures{temporal.GetDefaultFailureConverter()}
}

func (c encodableFailures) ErrorToFailure(err error) *failurepb.Failure {
	f := c.FailureConverter.ErrorToFailure(err)
	for x := f; x != nil; x = x.GetCause() {
		x.Message, x.StackTrace, x.Source = utf8text.Valid(x.Message), utf8text.Valid(x.StackTrace), utf8text.Valid(x.Source)
		if info := x.GetApplicationFailureInfo(); info != nil {
			info.Type = utf8text.Valid(info.Type)
		}
	}
	return f
}
