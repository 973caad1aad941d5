package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/store"
)

// createDown fails every Create call as a whole with a server error while down is set.
type createDown struct {
	connectors.Connector
	down bool
}

func (f *createDown) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	if f.down {
		return nil, &connectors.Error{Kind: connectors.KindRetryable, System: "altior", Op: "POST", Status: 503, Message: "unavailable"}
	}
	return f.Connector.Create(ctx, object, recs)
}

// A record released from its wait (its company now paired) whose create fails with a
// passing error must be released again by the retry: its wait must not be cleared before
// it is written.
func TestReleasedRecordWhoseWriteFailsIsNotLost(t *testing.T) {
	h := newAltiorPair(t, companiesOnSIRET("true")+contactOfTiers)
	h.pass("company", "a", ModeImport)
	h.pass("contact", "a", ModeImport)

	company := h.create(h.sellsy, connectors.ObjectCompany, connectors.Record{Fields: map[string]any{"name": "Nouvelle SARL", "type": "prospect"}})
	contact := h.create(h.sellsy, connectors.ObjectContact, connectors.Record{
		Fields: map[string]any{"last_name": "Martin", "email": "martin@nouvelle.example"}, Links: map[string]string{connectors.ObjectCompany: company}})

	later := time.Now().Add(time.Hour)
	h.acts.Now = func() time.Time { return later }
	c := h.pass("contact", "a", ModeIncremental)
	require.Equal(t, 1, c.Filtered, "held back: %+v", c)
	c = h.pass("company", "a", ModeIncremental)
	require.Equal(t, 1, c.CreatedB, "%+v", c)

	// Altior is down while the contact pass releases the contact: the pass fails.
	flaky := &createDown{Connector: h.altior, down: true}
	h.acts.Conns.use("sa", h.sellsy, flaky)
	later = later.Add(time.Hour)
	_, err := h.tryPass("contact", "a", ModeIncremental)
	require.Error(t, err, "the create failed")

	// Altior is back: the retry (and any later pass) must create the contact.
	flaky.down = false
	later = later.Add(time.Hour)
	c, err = h.tryPass("contact", "a", ModeIncremental)
	require.NoError(t, err)
	later = later.Add(time.Hour)
	c2 := h.pass("contact", "a", ModeIncremental)
	pairs, err := h.st.Pairs(h.ctx, "sa", "contact", store.SideA, []string{contact})
	require.NoError(t, err)
	assert.Contains(t, pairs, contact, "the released contact was never created: retry %+v, next %+v", c, c2)
}
