package minicrm

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// itemsText is a UNAS order's items_text for n item lines, Hungarian names included.
func itemsText(n int) string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("%d × Tölgy könyvespolc, ágyneműtartós (TB-%03d) @ 45990", 1+i%3, i)
	}
	return strings.Join(lines, "; ")
}

// A card's text field is cut to the size its module's schema gives it (Text(n), in
// characters), ending with "…", rather than the whole card refused: an order of many items
// (its items_text longer than the field) would otherwise get no card at all, nor its status
// changes after. A value that fits goes as it is. A card looked up by a value longer than
// its field is found by the value it was written with.
func TestCardTextLongerThanItsFieldIsCut(t *testing.T) {
	long := itemsText(40) // about 2,400 characters, Text1208 holds 1,024
	require.Greater(t, utf8.RuneCountInString(long), 1024)
	tests := []struct {
		name  string
		field string // Text1208 is Text(1024), Text1209 Text(3), Text1203 Text(64)
		value string
		want  string
	}{
		{name: "many items", field: "Text1208", value: long, want: string([]rune(long)[:1023]) + "…"},
		{name: "exactly the size", field: "Text1208", value: string([]rune(long)[:1024]), want: string([]rune(long)[:1024])},
		{name: "accents count as one character", field: "Text1209", value: "Ft.ő", want: "Ft…"},
		{name: "fits", field: "Text1209", value: "HUF", want: "HUF"},
		{name: "a key too long", field: "Text1203", value: strings.Repeat("Á", 70), want: strings.Repeat("Á", 63) + "…"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, cl, _ := setup(t, 0)
			ctx := context.Background()
			per := create(t, cl, "person", connectors.Record{Fields: map[string]any{"LastName": "Kovács Anna", "Email": "anna@example.com"}})[0]
			fields := map[string]any{"Name": fmt.Sprintf("UNAS #%d", 1000+i), "UserId": "101", tt.field: tt.value}
			res, err := cl.Create(ctx, "card:Orders", []connectors.Record{{Fields: fields, Links: map[string]string{"person": per}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err, "the card is created")
			cards := s.Dump("Orders")
			require.Len(t, cards, 1)
			assert.Equal(t, tt.want, cards[0][tt.field])

			// A caller pairs what it found on the value it looked for (the sync keys its hits
			// by it): a card found by the cut value is reported holding the value asked for,
			// by a client that does not remember the cut too (a worker started since).
			other, err := New(Config{BaseURL: cl.base, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000})
			require.NoError(t, err)
			for _, by := range []struct {
				name string
				c    *Client
			}{{"the writing client", cl}, {"another client", other}} {
				name := by.name
				found, err := by.c.FindByKey(ctx, "card:Orders", tt.field, []string{tt.value})
				require.NoError(t, err, name)
				require.Len(t, found, 1, "%s: found by the value it was written with", name)
				assert.Equal(t, res[0].ID, found[0].ID, name)
				assert.Equal(t, tt.value, found[0].Fields[tt.field], name)
			}

			// An update cuts the same way.
			res, err = cl.Update(ctx, "card:Orders", []connectors.Record{{ID: res[0].ID, Fields: map[string]any{tt.field: tt.value + " "}}})
			require.NoError(t, err)
			require.NoError(t, res[0].Err)
		})
	}
}

// A contact is not cut: a Person's name or a Business's tax number longer than MiniCRM takes
// is the customer's data to correct in UNAS, refused by MiniCRM with its reason (the sync
// quarantines the customer, and its cards wait for it).
func TestContactTextLongerThanItsFieldIsRefused(t *testing.T) {
	_, cl, _ := setup(t, 0)
	res, err := cl.Create(context.Background(), "person", []connectors.Record{{Fields: map[string]any{"LastName": strings.Repeat("Á", 300), "Email": "a@example.com"}}})
	require.NoError(t, err)
	require.Error(t, res[0].Err)
	assert.Equal(t, connectors.KindInvalid, connectors.KindOf(res[0].Err))
	assert.Contains(t, res[0].Err.Error(), "LastName")
}

// A card's text cut to its field reads back as the value written, as long as the card still
// holds the cut this client wrote: read as cut, it would differ from the source's value at
// every read of the card, and the sync would write it again at every cycle (each write
// making the card changed for the next). A client that did not write it (a worker started
// since) reads the cut value, and a value changed in MiniCRM since reads as it is.
func TestCardTextCutReadsBackAsWritten(t *testing.T) {
	long := itemsText(40)
	s, cl, _ := setup(t, 0)
	ctx := context.Background()
	per := create(t, cl, "person", connectors.Record{Fields: map[string]any{"LastName": "Kovács Anna", "Email": "anna@example.com"}})[0]
	card := create(t, cl, "card:Orders", connectors.Record{Fields: map[string]any{"Name": "UNAS #1", "UserId": "101", "Text1208": long},
		Links: map[string]string{"person": per}})[0]
	cut := string([]rune(long)[:1023]) + "…"

	read := func(cl *Client) any {
		t.Helper()
		recs, err := cl.Get(ctx, "card:Orders", []string{card})
		require.NoError(t, err)
		require.Len(t, recs, 1)
		return recs[0].Fields["Text1208"]
	}
	assert.Equal(t, long, read(cl), "written by this client")
	page, err := cl.List(ctx, "card:Orders", connectors.ListQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	assert.Equal(t, long, page.Records[0].Fields["Text1208"], "listed")

	other, err := New(Config{BaseURL: cl.base, SystemID: "12345", APIKey: apiKey, RequestsPerMinute: 600000})
	require.NoError(t, err)
	assert.Equal(t, cut, read(other), "another client reads what the card holds")

	// Updated with another long text, it reads back as that one.
	longer := itemsText(50)
	res, err := cl.Update(ctx, "card:Orders", []connectors.Record{{ID: card, Fields: map[string]any{"Text1208": longer}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, longer, read(cl))

	// Changed in MiniCRM since (by another client, or by hand): what it holds now.
	res, err = other.Update(ctx, "card:Orders", []connectors.Record{{ID: card, Fields: map[string]any{"Text1208": "1 × Bögre"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	assert.Equal(t, "1 × Bögre", read(cl))
	assert.Len(t, s.Dump("Orders"), 1)
}

// The cut texts a client remembers are bounded (maxCuts): past it, one entry makes room for
// the new one, which is remembered; a card written again holds its one entry; a value written
// whole forgets its card's cut.
func TestCutTextsRememberedAreBounded(t *testing.T) {
	_, cl, _ := setup(t, 0)
	note := func(id, cut, full string) {
		cl.noteCuts(id, map[string]any{"Text1208": cut}, map[string]string{"Text1208": full})
	}
	for i := range maxCuts + 5 {
		note(fmt.Sprint(i), "cut…", fmt.Sprint("full ", i))
	}
	assert.Len(t, cl.cuts, maxCuts)
	last := fmt.Sprint(maxCuts + 4)
	assert.Equal(t, "full "+last, cl.uncut(last, "Text1208", "cut…"), "the newest is remembered")

	note(last, "cut 2…", "full again")
	assert.Len(t, cl.cuts, maxCuts, "written again: its one entry")
	assert.Equal(t, "full again", cl.uncut(last, "Text1208", "cut 2…"))

	cl.noteCuts(last, map[string]any{"Text1208": "short"}, nil)
	assert.Len(t, cl.cuts, maxCuts-1, "written whole: its cut forgotten")
	assert.Equal(t, "cut 2…", cl.uncut(last, "Text1208", "cut 2…"))
}
