package connectors

import (
	"bytes"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeBug() error {
	var v any = 12.0
	_ = v.(string) // the kind of bug a decoder makes on a value of an unexpected type
	return nil
}

// A panic in a goroutine a connector starts comes back as the error of its work: not
// retried (KindConfig), named as a panic with the line it came from, never taken for nothing
// written; its stack is logged once.
func TestSafeTurnsAPanicIntoAnError(t *testing.T) {
	var logs bytes.Buffer
	was := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(was)

	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		err = Safe("sellsy", "GET /companies", decodeBug)
	}()
	wg.Wait()

	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.True(t, e.Panicked)
	assert.True(t, IsPanic(err))
	assert.Equal(t, KindConfig, KindOf(err), "not retried: the same data panics the same way")
	assert.False(t, NothingWritten(err), "a panic may come after the write")
	assert.Contains(t, err.Error(), "sellsy GET /companies: internal error: panic: interface conversion: interface {} is float64, not string in connectors.decodeBug (safego_test.go:")
	assert.NotContains(t, err.Error(), "configuration")
	assert.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("recovered a panic")), logs.String())
	assert.Contains(t, logs.String(), "safego_test.go")

	// Raised again by a caller with no error to return it by, it is the same error, not
	// logged twice.
	again := func() (err error) {
		defer Recover("crmsync", "SyncPass", &err)
		panic(e)
	}()
	assert.Same(t, e, again)
	assert.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("recovered a panic")))

	// The caller says what it was doing; other errors are left alone.
	named := PanicIn(err, `listing company, the page after cursor "6"`)
	assert.Contains(t, named.Error(), `sellsy GET /companies: internal error: listing company, the page after cursor "6": panic: `)
	assert.NotContains(t, err.Error(), "cursor", "the original is not changed")
	other := &Error{Kind: KindRetryable, System: "sellsy", Op: "GET /companies"}
	assert.Same(t, other, PanicIn(other, "x"))
	assert.NoError(t, Safe("sellsy", "GET", func() error { return nil }))
}

// E-mail addresses a panic's message might carry are not put in the error.
func TestRecoveredRedacts(t *testing.T) {
	e := Recovered("mautic", "GET /contacts", "bad contact a@b.io")
	assert.Contains(t, e.Message, "bad contact <email>")
	assert.NotContains(t, e.Message, "a@b.io")
}
