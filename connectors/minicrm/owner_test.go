package minicrm

import (
	"context"
	"testing"
	"time"

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

// The connection's owner must be one of the target module's own users (its UserId options):
// MiniCRM hands the card of a user without access to the module to another one. Ioana
// Ionescu (103) has access to Orders, not to Webshop. Contacts have no owner: a user of the
// system will do.
func TestOwnerCheckedAgainstTheModule(t *testing.T) {
	tests := []struct {
		name    string
		owner   string
		object  string
		wantErr []string
	}{
		{name: "a user of the module", owner: "103", object: "card:Orders"},
		{name: "no access to the module", owner: "103", object: "card:Webshop",
			wantErr: []string{"minicrm: owner user 103 has no access to module Webshop", "settings.owner", "its user ids: 101, 102"}},
		{name: "no access, by name", owner: "Ioana Ionescu", object: "card:Webshop", wantErr: []string{"owner user Ioana Ionescu has no access to module Webshop"}},
		{name: "access to both", owner: "102", object: "card:Webshop"},
		{name: "a contact", owner: "103", object: "person"},
		{name: "unknown owner, a contact", owner: "4242", object: "person", wantErr: []string{"owner user 4242 does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, plain, _ := setup(t, 0)
			cl, err := New(Config{BaseURL: plain.base, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000, Owner: tt.owner})
			require.NoError(t, err)
			fields := map[string]any{"Name": "new"}
			if tt.object == "person" {
				fields = map[string]any{"LastName": "Kiss"}
			}
			res, err := cl.Create(context.Background(), tt.object, []connectors.Record{{Fields: fields}})
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				require.NoError(t, res[0].Err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
			assert.Zero(t, s.Count("project")+s.Count("contact"), "nothing written")
		})
	}
}

// A card's own UserId is checked against its module's users too: one without access fails
// that card only.
func TestCardOwnerCheckedAgainstTheModule(t *testing.T) {
	tests := []struct {
		object, owner string
		wantErr       string
	}{
		{object: "card:Orders", owner: "Ioana Ionescu"},
		{object: "card:Webshop", owner: "Ioana Ionescu", wantErr: "minicrm: owner user Ioana Ionescu has no access to module Webshop"},
		{object: "card:Webshop", owner: "4242", wantErr: "minicrm: owner user 4242 does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.object+" "+tt.owner, func(t *testing.T) {
			s, cl, _ := setup(t, 0)
			res, err := cl.Create(context.Background(), tt.object, []connectors.Record{{Fields: map[string]any{"Name": "new", "UserId": tt.owner}}})
			require.NoError(t, err)
			if tt.wantErr == "" {
				require.NoError(t, res[0].Err)
				return
			}
			assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
			assert.ErrorContains(t, res[0].Err, tt.wantErr)
			assert.Zero(t, s.Count("project"))
		})
	}
}

// The owner found fit for a module is trusted for an hour, then checked again against what
// MiniCRM answers (the modules themselves are read again every few minutes).
func TestOwnerRecheckedAfterAnHour(t *testing.T) {
	s, plain, clk := setup(t, 0)
	cl, err := New(Config{BaseURL: plain.base, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000, Owner: "102"})
	require.NoError(t, err)
	cl.now = clk.Now
	steps := []struct {
		advance   time.Duration
		wantReads int // GET /Category: the modules read again (cacheTTL), and the owner's check
	}{
		{advance: 0, wantReads: 2},                // first write: the modules, then the check
		{advance: 3 * time.Minute, wantReads: 0},  // both trusted
		{advance: 3 * time.Minute, wantReads: 1},  // the modules read again, the owner trusted
		{advance: 55 * time.Minute, wantReads: 2}, // past the hour: checked again
		{advance: time.Minute, wantReads: 0},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		s.Kit().ResetCounts()
		res, err := cl.Create(context.Background(), "card:Webshop", []connectors.Record{{Fields: map[string]any{"Name": "new"}}})
		require.NoError(t, err, "step %d", i)
		require.NoError(t, res[0].Err, "step %d", i)
		assert.Equal(t, st.wantReads, s.Kit().Counts()["GET /Api/R3/Category"], "step %d", i)
	}
}

// An owner who loses access to a module after the check pauses the connection at the next
// write that sees it, instead of failing every card one by one.
func TestOwnerLosingAccessPausesTheConnection(t *testing.T) {
	s, plain, clk := setup(t, 0)
	cl, err := New(Config{BaseURL: plain.base, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000, Owner: "102"})
	require.NoError(t, err)
	cl.now = clk.Now
	ctx := context.Background()
	create(t, cl, "card:Webshop", connectors.Record{Fields: map[string]any{"Name": "first"}})
	s.SetAccess("Webshop", 101) // an admin takes Bence Kovács off the module
	clk.Advance(cacheTTL + time.Second)
	res, err := cl.Create(ctx, "card:Webshop", []connectors.Record{{Fields: map[string]any{"Name": "a"}}, {Fields: map[string]any{"Name": "b"}}})
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.ErrorContains(t, err, "minicrm: owner user 102 has no access to module Webshop (settings.owner; its user ids: 101)")
	for _, r := range res {
		assert.Equal(t, connectors.KindConfig, connectors.KindOf(r.Err))
	}
	_, err = cl.Create(ctx, "card:Webshop", []connectors.Record{{Fields: map[string]any{"Name": "c"}}})
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err), "checked again before the next write")
	assert.Equal(t, 1, s.Count("Webshop"), "nothing written since")
}
