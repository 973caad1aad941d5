package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fatalTB records the first Fatalf and stops the caller, as testing.T does.
type fatalTB struct {
	*testing.T
	fatal string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	panic(f)
}

// A worker that refuses its connection file exits at once: StartWorker fails the test then,
// with the worker's words, instead of the test waiting minutes for work nobody does.
func TestStartWorkerFailsFastWhenTheWorkerExits(t *testing.T) {
	file := filepath.Join(t.TempDir(), "broken.yaml")
	require.NoError(t, os.WriteFile(file, []byte("name: broken\nschedule: {}\nschedule: {}\n"), 0o600))
	tb := &fatalTB{T: t}
	WorkerBinary(t) // built first: how long go build takes on a busy machine is not the wait measured
	began := time.Now()
	func() {
		defer func() {
			if r := recover(); r != nil && r != any(tb) {
				panic(r)
			}
		}()
		StartWorker(tb, []string{"CRMSYNC_CONNECTIONS=" + file, "CRMSYNC_TEMPORAL_ADDRESS=127.0.0.1:1", "CRMSYNC_DATA_DIR=" + t.TempDir()})
	}()
	assert.Contains(t, tb.fatal, "the worker exited as it started")
	assert.Contains(t, tb.fatal, "broken.yaml")
	assert.Less(t, time.Since(began), time.Minute)
}
