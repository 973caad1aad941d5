package minicrm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// The connection's owner user is checked before the client's first write, once: an unknown
// owner refuses every write as a configuration error naming it (the connection pauses) and
// nothing reaches MiniCRM, which would give the cards to a random user; a known one is
// checked once however many writes follow.
func TestConnectionOwnerCheckedBeforeTheFirstWrite(t *testing.T) {
	tests := []struct {
		name       string
		owner      string
		write      func(ctx context.Context, cl *Client, cardID string) error
		wantErr    []string
		wantPuts   int // PUT /Project requests of two writes
		categories int // GET /Category requests of two writes (the users are read from the schemas)
	}{
		{name: "unknown owner, create", owner: "4242", write: createCard,
			wantErr: []string{"minicrm: owner user 4242 does not exist", "settings.owner", "user ids: 101, 102, 103", "random user"}, categories: 2},
		{name: "unknown owner, update", owner: "Nobody Here", write: updateCard,
			wantErr: []string{"owner user Nobody Here does not exist"}, categories: 2},
		{name: "unknown owner, status move", owner: "4242", write: func(ctx context.Context, cl *Client, id string) error {
			return cl.AddEvent(ctx, "card:Orders", id, "In progress")
		}, wantErr: []string{"owner user 4242 does not exist"}, categories: 2},
		{name: "known owner by id", owner: "103", write: createCard, wantPuts: 2, categories: 1},
		{name: "known owner by name", owner: "Ana Popescu", write: updateCard, wantPuts: 2, categories: 1},
		{name: "no owner", owner: "", write: createCard, wantPuts: 2, categories: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, plain, _ := setup(t, 0)
			card := create(t, plain, "card:Orders", connectors.Record{Fields: map[string]any{"Name": "existing", "UserId": "101"}})[0]
			cl, err := New(Config{BaseURL: plain.base, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000, Owner: tt.owner})
			require.NoError(t, err)
			_, err = cl.Modules(ctx) // the write's own resolution of the module, counted apart
			require.NoError(t, err)
			s.Kit().ResetCounts()
			for range 2 {
				err := tt.write(ctx, cl, card)
				if len(tt.wantErr) == 0 {
					require.NoError(t, err)
					continue
				}
				require.Error(t, err)
				assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
			}
			assert.Equal(t, tt.wantPuts, s.Kit().Counts()["PUT /Api/R3/Project"]+s.Kit().Counts()["PUT /Api/R3/Project/{id}"], "%v", s.Kit().Counts())
			assert.Equal(t, tt.categories, s.Kit().Counts()["GET /Api/R3/Category"], "%v", s.Kit().Counts())
			if tt.wantPuts == 0 {
				assert.Equal(t, 1, s.Count("Orders"), "nothing written")
			}
		})
	}
}

func createCard(ctx context.Context, cl *Client, _ string) error {
	res, err := cl.Create(ctx, "card:Orders", []connectors.Record{{Fields: map[string]any{"Name": "new"}}})
	if err != nil {
		return err
	}
	return res[0].Err
}

func updateCard(ctx context.Context, cl *Client, id string) error {
	res, err := cl.Update(ctx, "card:Orders", []connectors.Record{{ID: id, Fields: map[string]any{"Name": "renamed"}}})
	if err != nil {
		return err
	}
	return res[0].Err
}
