package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
	"github.com/crmsync/crmsync/sandbox"
	"github.com/crmsync/crmsync/store"
)

// harness runs passes against the sandbox and a SQLite store, outside any workflow.
type harness struct {
	t      *testing.T
	ctx    context.Context
	sb     *sandbox.Sandbox
	acts   *Activities
	st     store.Store
	sellsy connectors.Connector
	mautic connectors.Connector
}

// newHarness seeds Sellsy with people 0–19 and Automation with people 10–29.
func newHarness(t *testing.T, direction string) *harness {
	t.Helper()
	return newHarnessWith(t, direction, "")
}

// newHarnessWith also sets the contact object's deletes option ("" for none).
func newHarnessWith(t *testing.T, direction, deletes string) *harness {
	t.Helper()
	return newHarnessYAML(t, direction, fmt.Sprintf("deletes: %q", deletes))
}

// newHarnessYAML adds one line of options to the contact object.
func newHarnessYAML(t *testing.T, direction, contactOption string) *harness {
	t.Helper()
	return newHarnessObjects(t, direction, fmt.Sprintf(`
  - name: company
    match: {a: name, b: companyname}
    fields:
      - {a: name, b: companyname}
      - {a: email, b: companyemail}
  - name: contact
    match: {a: email, b: email}
    links: [company]
    %s
    fields:
      - {a: email, b: email}
      - {a: first_name, b: firstname}
      - {a: last_name, b: lastname}
      - {a: position, b: position}
`, contactOption))
}

// newHarnessObjects starts Sellsy (people 0–19, companies 0–3) and Automation (people 10–29,
// companies 2–5) with the connection "t" between them syncing objects (the YAML list under
// objects:).
func newHarnessObjects(t *testing.T, direction, objects string) *harness {
	t.Helper()
	return newHarnessVia(t, direction, objects, func(mauticURL string) string { return mauticURL })
}

// newHarnessVia is newHarnessObjects with Automation reached at the URL via returns for its
// own (a proxy in front of it, say).
func newHarnessVia(t *testing.T, direction, objects string, via func(mauticURL string) string) *harness {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Options{
		SellsyContacts: 20, MauticFirst: 10, MauticContacts: 20,
		SellsyClientID: "id", SellsyClientSecret: "secret", SellsyRequestsPerSecond: -1,
		MauticUsername: "user", MauticPassword: "password",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Close() })
	t.Setenv("T_SELLSY_ID", "id")
	t.Setenv("T_SELLSY_SECRET", "secret")
	t.Setenv("T_MAUTIC_USER", "user")
	t.Setenv("T_MAUTIC_PASSWORD", "password")
	acts, st, _ := activitiesFor(t, fmt.Sprintf(`name: t
a:
  system: sellsy
  settings: {api_url: %[1]s/v2, token_url: %[1]s/oauth2/access-tokens, requests_per_second: "1000"}
  credentials: {client_id: T_SELLSY_ID, client_secret: T_SELLSY_SECRET}
b:
  system: mautic
  settings: {base_url: %[2]s, requests_per_second: "1000"}
  credentials: {username: T_MAUTIC_USER, password: T_MAUTIC_PASSWORD}
direction: %[3]s
schedule: {overlap: 1m}
objects:%[4]s`, sb.SellsyURL, via(sb.MauticURL), direction, objects))
	h := &harness{t: t, ctx: context.Background(), sb: sb, st: st, acts: acts}
	h.sellsy, h.mautic, err = h.acts.Conns.Connectors("t")
	require.NoError(t, err)
	return h
}

// pass runs a whole pass of one object on one side, stretch after stretch.
func (h *harness) pass(object, side, mode string) Counts {
	h.t.Helper()
	return h.passWith(PassInput{Connection: "t", Object: object, Side: side, Mode: mode, PageSize: 7})
}

// passWith runs a pass to its end, stretch after stretch.
func (h *harness) passWith(in PassInput) Counts {
	h.t.Helper()
	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	return passToEnd(h.t, ae, h.acts, in)
}

// passToEnd runs SyncPass stretch after stretch until the pass is done, and adds up its counts.
func passToEnd(t *testing.T, ae *testsuite.TestActivityEnvironment, acts *Activities, in PassInput) Counts {
	t.Helper()
	var total Counts
	for {
		v, err := ae.ExecuteActivity(acts.SyncPass, in)
		require.NoError(t, err, "%s side %s", in.Object, in.Side)
		var res PassResult
		require.NoError(t, v.Get(&res))
		total.Add(res.Counts)
		if res.Done {
			return total
		}
		in.Position, in.Since, in.PassStart, in.AsOf = res.Position, res.Since, res.PassStart, res.AsOf
	}
}

// cycle runs every pass of the connection in order.
func (h *harness) cycle(mode string) Counts {
	var total Counts
	for _, o := range []string{"company", "contact"} {
		for _, side := range []string{"a", "b"} {
			total.Add(h.pass(o, side, mode))
		}
	}
	return total
}

func (h *harness) person(c connectors.Connector, i int) connectors.Record {
	h.t.Helper()
	recs, err := c.FindByKey(h.ctx, connectors.ObjectContact, "email", []string{simkit.PersonAt(i).Email})
	require.NoError(h.t, err)
	require.Len(h.t, recs, 1)
	return recs[0]
}

func (h *harness) edit(c connectors.Connector, i int, fields map[string]any) {
	h.t.Helper()
	res, err := c.Update(h.ctx, connectors.ObjectContact, []connectors.Record{{ID: h.person(c, i).ID, Fields: fields}})
	require.NoError(h.t, err)
	require.NoError(h.t, res[0].Err)
}

func TestImportPairsMatchesAndCreates(t *testing.T) {
	h := newHarness(t, "both")
	c := h.cycle(ModeImport)
	// People 0–9 go to Automation, 20–29 to Sellsy; 10–19 are matched by e-mail.
	assert.Equal(t, 10, c.CreatedB-2, "contacts 0–9 and companies 0–1 created on Automation")
	assert.Equal(t, 10, c.CreatedA-2, "contacts 20–29 and companies 4–5 created on Sellsy")
	for _, o := range []string{"company", "contact"} {
		n, err := h.st.CountPairs(h.ctx, "t", o)
		require.NoError(t, err)
		want := map[string]int{"company": 6, "contact": 30}[o]
		assert.Equal(t, want, n, o)
	}
	// A second import finds everything paired and unchanged.
	again := h.cycle(ModeImport)
	assert.Zero(t, again.CreatedA+again.CreatedB+again.UpdatedA+again.UpdatedB, "%+v", again)
	assert.Equal(t, again.Read, again.Unchanged)

	// Links: person 25 was created on Sellsy, linked to its company created there too.
	p := h.person(h.sellsy, 25)
	companies, err := h.sellsy.Get(h.ctx, connectors.ObjectCompany, []string{p.Links["company"]})
	require.NoError(t, err)
	require.Len(t, companies, 1)
	assert.Equal(t, simkit.CompanyAt(5).Name, companies[0].Fields["name"])
}

// A worker shutting down ends the stretch after the page in hand: the activity returns its
// place as at the end of any stretch, and the next stretch (on another worker) goes on from
// there, each record read once.
func TestStretchEndsAfterThePageWhenTheWorkerStops(t *testing.T) {
	h := newHarness(t, "both")
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	stopping := make(chan struct{})
	close(stopping)
	ae.SetWorkerStopChannel(stopping)
	in := PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport, PageSize: 7, Stretch: time.Hour}
	v, err := ae.ExecuteActivity(h.acts.SyncPass, in)
	require.NoError(t, err)
	var first PassResult
	require.NoError(t, v.Get(&first))
	assert.Equal(t, 1, first.Pages, "one page, though the stretch had an hour")
	assert.False(t, first.Done)
	assert.Equal(t, 7, first.Counts.Read)

	in.Position, in.Since, in.PassStart = first.Position, first.Since, first.PassStart
	rest := h.passWith(in)
	assert.Equal(t, 20, first.Counts.Read+rest.Read, "Sellsy's 20 people, each read once")
	assert.Equal(t, 10, first.Counts.CreatedB+rest.CreatedB, "people 0–9 created on Automation")
}

func TestIncrementalMergesConflictsAndRecognisesEchoes(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)

	h.edit(h.mautic, 12, map[string]any{"firstname": "Older"})
	time.Sleep(1100 * time.Millisecond)
	h.edit(h.sellsy, 12, map[string]any{"first_name": "Newer"})
	h.edit(h.sellsy, 13, map[string]any{"position": "Comptable principal"})
	h.edit(h.mautic, 13, map[string]any{"lastname": "Autre"})

	c := h.cycle(ModeIncremental)
	assert.Equal(t, 1, c.Conflicts, "%+v", c)
	for _, conn := range []connectors.Connector{h.sellsy, h.mautic} {
		first, last := "first_name", "last_name"
		if conn == h.mautic {
			first, last = "firstname", "lastname"
		}
		assert.Equal(t, "Newer", h.person(conn, 12).Fields[first], conn.System())
		assert.Equal(t, "Comptable principal", h.person(conn, 13).Fields["position"], conn.System())
		assert.Equal(t, "Autre", h.person(conn, 13).Fields[last], conn.System())
	}

	// The next cycle reads our own writes back (they are within the overlap) and writes nothing.
	echo := h.cycle(ModeIncremental)
	assert.Positive(t, echo.Read)
	assert.Zero(t, echo.CreatedA+echo.CreatedB+echo.UpdatedA+echo.UpdatedB+echo.Conflicts, "%+v", echo)
}

func TestOneWayConnectionNeverWritesItsSource(t *testing.T) {
	h := newHarness(t, "a_to_b")
	c := h.cycle(ModeImport)
	assert.Zero(t, c.CreatedA+c.UpdatedA, "%+v", c)
	assert.Zero(t, c.Quarantined, "Automation's own contacts are left alone, not refused: %+v", c)
	assert.Equal(t, 12, c.Filtered, "%+v", c)
	q, err := h.st.ListQuarantine(h.ctx, "t", 10)
	require.NoError(t, err)
	assert.Empty(t, q)
	assert.Equal(t, 20, h.sb.Sellsy.Count("contacts"))
	// The initial import does not even read Automation: nothing travels from it.
	info, err := h.acts.DescribeConnection(h.ctx, "t")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"company/b", "contact/b"}, info.NoImport)
	assert.ElementsMatch(t, []string{"company/b", "contact/b"}, info.NoSync, "nor does the incremental sync")

	// The incremental sync skips Automation: its cursor follows, nothing is read, and an edit
	// made there stays (Sellsy's record has not changed).
	h.edit(h.mautic, 12, map[string]any{"firstname": "Édité"})
	h.sb.Mautic.Kit().ResetCounts()
	skipped := h.pass("contact", "b", ModeSkip)
	assert.Zero(t, skipped.Read)
	assert.Zero(t, h.sb.Mautic.Kit().Total(), "no call to Automation")
	cur, ok, err := h.st.Cursor(h.ctx, "t", "contact", store.SideB)
	require.NoError(t, err)
	require.True(t, ok)
	assert.NotEmpty(t, cur)
	assert.Equal(t, "Édité", h.person(h.mautic, 12).Fields["firstname"])
	assert.Equal(t, 30, h.sb.Mautic.Count("contacts"))
}

func TestRecordWithoutKeyIsQuarantinedWithItsReason(t *testing.T) {
	h := newHarness(t, "both")
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"firstname": "Sans", "lastname": "Adresse"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	h.cycle(ModeImport)
	q, err := h.st.ListQuarantine(h.ctx, "t", 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, res[0].ID, q[0].RecordID)
	assert.Contains(t, q[0].Reason, "has no email")
}

// Two records of the other side share the e-mail of an unpaired record: exactly one is
// paired and updated, and the other is reported in quarantine with a reason naming both.
func TestDuplicatesOnTheOtherSideAreReported(t *testing.T) {
	h := newHarness(t, "both")
	email := simkit.PersonAt(25).Email // on Automation only
	res, err := h.sellsy.Create(h.ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": email, "last_name": "Premier"}},
		{Fields: map[string]any{"email": email, "last_name": "Second"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)

	kept, dup := res[0].ID, res[1].ID // Sellsy lists by id: the lower is the one kept
	if dup < kept {
		kept, dup = dup, kept
	}
	c := h.pass("contact", "b", ModeImport)
	assert.Equal(t, 1, c.Quarantined, "%+v", c)
	q, err := h.st.ListQuarantine(h.ctx, "t", 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, store.SideA, q[0].Side)
	assert.Equal(t, dup, q[0].RecordID)
	assert.Contains(t, q[0].Reason, "duplicate email: sellsy records "+kept+" and "+dup+" share it; only "+kept+" is kept in step")

	pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{kept, dup})
	require.NoError(t, err)
	assert.Len(t, pairs, 1)
	assert.Contains(t, pairs, kept)
}

// Two records of one page share an e-mail the other side lacks: one is created there, and
// the other is reported — not sent in the same batch, where Automation, matching on e-mail,
// would answer both with one contact and one pair would be lost without a word.
func TestTwoNewRecordsWithOneKeyCreateOnce(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	const email = "jumeaux@example.fr" // on neither side yet
	res, err := h.sellsy.Create(h.ctx, connectors.ObjectContact, []connectors.Record{
		{Fields: map[string]any{"email": email, "last_name": "Premier"}},
		{Fields: map[string]any{"email": email, "last_name": "Second"}},
	})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.NoError(t, res[1].Err)
	contacts := h.sb.Mautic.Count("contacts")

	c := h.pass("contact", "a", ModeImport)
	assert.Equal(t, 1, c.CreatedB, "%+v", c)
	assert.Equal(t, 1, c.Quarantined, "%+v", c)
	assert.Equal(t, contacts+1, h.sb.Mautic.Count("contacts"))
	pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{res[0].ID, res[1].ID})
	require.NoError(t, err)
	require.Len(t, pairs, 1)
	q, err := h.st.ListQuarantine(h.ctx, "t", 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	_, firstPaired := pairs[res[0].ID]
	created, reported := res[0].ID, res[1].ID
	if !firstPaired {
		created, reported = reported, created
	}
	assert.Equal(t, reported, q[0].RecordID)
	assert.Equal(t, "duplicate email: sellsy record "+created+" of the same page has it too, and only that one is created on mautic", q[0].Reason)
}

// A contact deleted in Automation and added again (a list imported again), where deletions
// do not travel: the pair of the deleted one stays, but the new contact with its e-mail takes
// its place instead of being quarantined for good as a duplicate of a record that is gone.
func TestARecordAddedAgainTakesThePairOfTheDeletedOne(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	person := h.person(h.sellsy, 12) // on both sides, paired
	old := h.deleteOn(h.mautic, 12)
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"email": person.Fields["email"], "lastname": "Revenu"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	require.NotEqual(t, old, res[0].ID)

	// A dry run says what it would do and leaves the id map as it was.
	planned := h.passWith(PassInput{Connection: "t", Object: "contact", Side: "b", Mode: ModeIncremental, Plan: true})
	assert.Zero(t, planned.Quarantined, "%+v", planned)
	pairs, err := h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{person.ID})
	require.NoError(t, err)
	assert.Equal(t, old, pairs[person.ID].BID, "the dry run unpaired nothing")

	c := h.pass("contact", "b", ModeIncremental)
	assert.Zero(t, c.Quarantined, "%+v", c)
	pairs, err = h.st.Pairs(h.ctx, "t", "contact", store.SideA, []string{person.ID})
	require.NoError(t, err)
	require.Contains(t, pairs, person.ID)
	assert.Equal(t, res[0].ID, pairs[person.ID].BID, "paired with the contact added again")
	gone, err := h.st.Pairs(h.ctx, "t", "contact", store.SideB, []string{old})
	require.NoError(t, err)
	assert.Empty(t, gone, "the deleted contact's pair is over")
}

// A record quarantined for a value with no counterpart leaves quarantine once it syncs.
func TestQuarantineClearsOnceTheRecordSyncs(t *testing.T) {
	h := newHarness(t, "both")
	res, err := h.mautic.Create(h.ctx, connectors.ObjectContact, []connectors.Record{{Fields: map[string]any{"firstname": "Sans", "lastname": "Adresse"}}})
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	h.cycle(ModeImport)
	n, err := h.st.CountQuarantine(h.ctx, "t")
	require.NoError(t, err)
	require.Equal(t, 1, n)

	// The user gives the contact an e-mail: the next pass syncs it and clears its entry.
	up, err := h.mautic.Update(h.ctx, connectors.ObjectContact, []connectors.Record{{ID: res[0].ID, Fields: map[string]any{"email": "fixed@example.com"}}})
	require.NoError(t, err)
	require.NoError(t, up[0].Err)
	c := h.pass("contact", "b", ModeImport)
	assert.Equal(t, 1, c.CreatedA, "%+v", c)
	n, err = h.st.CountQuarantine(h.ctx, "t")
	require.NoError(t, err)
	assert.Zero(t, n)
}

// An initialisation choice not to send a side's existing contacts: the import only marks that
// side's cursor, and the incremental sync sends what changes afterwards.
func TestImportWithoutExistingRecordsOfOneSide(t *testing.T) {
	h := newHarnessYAML(t, "both", "initial: {from_b: false}")
	conn, err := h.acts.Conns.Config("t")
	require.NoError(t, err)
	conn.Schedule.Overlap = config.Duration(300 * time.Millisecond) // the people were seeded just now
	// Automation's times have a resolution of one second and the connector rounds the since
	// time down: the mark must come well over a second (plus the overlap) after the seeding.
	time.Sleep(2500 * time.Millisecond)
	c := h.pass("contact", "a", ModeImport)
	assert.Equal(t, 10, c.CreatedB, "Sellsy people 0–9 sent to Automation")
	marked := h.pass("contact", "b", ModeMark)
	assert.Zero(t, marked.Read)
	assert.Equal(t, 20, h.sb.Sellsy.Count("contacts"), "Automation's people 20–29 are not sent")
	_, ok, err := h.st.Cursor(h.ctx, "t", "contact", store.SideB)
	require.NoError(t, err)
	assert.True(t, ok, "the cursor is set, so the incremental sync starts from now")

	time.Sleep(1100 * time.Millisecond)
	h.edit(h.mautic, 25, map[string]any{"position": "Nouvelle"})
	inc := h.pass("contact", "b", ModeIncremental)
	assert.Equal(t, 1, inc.CreatedA, "a record changed after the import goes across: %+v", inc)
}

// A gate on side A (the SA = yes of the Altior pair, here a yes/no custom field): Sellsy
// records at no stay out; records coming from the other side arrive with yes; a record
// switched to yes later goes across at the next pass.
func TestFilterGatesASide(t *testing.T) {
	h := newHarnessYAML(t, "both", "filter: {a: {cf.cf_bool: true}}")
	conn, err := h.acts.Conns.Config("t")
	require.NoError(t, err)
	conn.Schedule.Overlap = config.Duration(300 * time.Millisecond)

	a := h.pass("contact", "a", ModeImport)
	assert.Equal(t, 20, a.Filtered, "every Sellsy contact is at no: %+v", a)
	assert.Zero(t, a.CreatedB)
	b := h.pass("contact", "b", ModeImport)
	assert.Equal(t, 10, b.CreatedA, "Automation's people 20–29 come to Sellsy: %+v", b)
	assert.Equal(t, 30, h.sb.Sellsy.Count("contacts"), "people 10–19 are paired, not duplicated")
	for _, i := range []int{12, 25} {
		assert.Equal(t, true, h.person(h.sellsy, i).Fields["cf.cf_bool"], "person %d is at yes on Sellsy", i)
	}

	time.Sleep(1100 * time.Millisecond)
	h.edit(h.sellsy, 3, map[string]any{"cf.cf_bool": true})
	inc := h.pass("contact", "a", ModeIncremental)
	assert.Equal(t, 1, inc.CreatedB, "person 3, switched to yes, goes across: %+v", inc)
	assert.Equal(t, 21, h.sb.Mautic.Count("contacts"))
}

// quotaOnce refuses, once, all but the first record of a batch of creates with a quota
// error, as a connector does when the account's quota runs out in the middle of a page.
type quotaOnce struct {
	connectors.Connector
	refused int
}

func (q *quotaOnce) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	if q.refused > 0 || len(recs) < 2 {
		return q.Connector.Create(ctx, object, recs)
	}
	res, err := q.Connector.Create(ctx, object, recs[:1])
	if err != nil {
		return nil, err
	}
	for range recs[1:] {
		res = append(res, connectors.Result{Err: &connectors.Error{Kind: connectors.KindRateLimited, System: "sellsy", Op: "POST /contacts", Message: "request quota exceeded"}})
	}
	q.refused += len(recs) - 1
	return res, nil
}

// Quota refusals in the middle of a page are not the records' fault: nothing is quarantined
// for them; the page fails after saving what was written, and its retry writes the rest, each
// person once.
func TestRateLimitedWritesAreRetriedNotQuarantined(t *testing.T) {
	h := newHarness(t, "both")
	h.pass("company", "a", ModeImport)
	h.pass("company", "b", ModeImport)
	h.pass("contact", "a", ModeImport)
	flaky := &quotaOnce{Connector: h.sellsy}
	h.acts.Conns.use("t", flaky, h.mautic)

	var env testsuite.WorkflowTestSuite
	ae := env.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	in := PassInput{Connection: "t", Object: "contact", Side: "b", Mode: ModeImport, PageSize: 50}
	_, err := ae.ExecuteActivity(h.acts.SyncPass, in)
	require.Error(t, err, "the page fails")
	assert.Contains(t, err.Error(), "request quota exceeded")
	require.Positive(t, flaky.refused)
	q, err := h.st.ListQuarantine(h.ctx, "t", 10)
	require.NoError(t, err)
	assert.Empty(t, q, "a quota refusal is not a record's fault")

	v, err := ae.ExecuteActivity(h.acts.SyncPass, in) // Temporal's retry
	require.NoError(t, err)
	var res PassResult
	require.NoError(t, v.Get(&res))
	assert.Equal(t, flaky.refused, res.Counts.CreatedA, "the retry creates the refused ones: %+v", res.Counts)
	assert.Equal(t, 30, h.sb.Sellsy.Count("contacts"))
	for i := 0; i < 30; i++ {
		h.person(h.sellsy, i) // exactly once
	}
}

// A pass whose last attempt heartbeated Done (its cursor set) and whose answer was lost is
// not read again by the retry: it answers the heartbeated result at once.
func TestAPassHeartbeatedDoneIsNotReadAgain(t *testing.T) {
	h := newHarness(t, "both")
	var suite testsuite.WorkflowTestSuite
	ae := suite.NewTestActivityEnvironment()
	ae.RegisterActivity(h.acts)
	done := PassResult{Done: true, Position: "", PassStart: time.Now().UTC(), Counts: Counts{Read: 30, CreatedB: 20}}
	ae.SetHeartbeatDetails(done)
	h.sb.Sellsy.Kit().ResetCounts()
	v, err := ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport})
	require.NoError(t, err)
	var got PassResult
	require.NoError(t, v.Get(&got))
	assert.True(t, got.Done)
	assert.Equal(t, 30, got.Counts.Read, "the heartbeated result")
	assert.Zero(t, h.sb.Sellsy.Kit().Total(), "nothing read again")
}

// createdNotWhole creates records, then answers each as created but not whole (a second call
// refused), as Sellsy does when the PUT of the custom fields after the POST fails.
type createdNotWhole struct{ connectors.Connector }

func (c *createdNotWhole) Create(ctx context.Context, object string, recs []connectors.Record) ([]connectors.Result, error) {
	res, err := c.Connector.Create(ctx, object, recs)
	for i := range res {
		if res[i].ID != "" && res[i].Err == nil {
			res[i].Err = &connectors.Error{Kind: connectors.KindInvalid, System: "mautic", Message: "custom field refused"}
		}
	}
	return res, err
}

// A record created but not whole is paired and quarantined: the entry stays in the store
// (the end of the page cleared it with those that synced fine), so it is seen and retried.
func TestCreatedNotWholeStaysQuarantined(t *testing.T) {
	h := newHarness(t, "both")
	h.pass("company", "a", ModeImport)
	h.pass("company", "b", ModeImport)
	h.acts.Conns.use("t", h.sellsy, &createdNotWhole{h.mautic})
	c := h.pass("contact", "a", ModeImport)
	require.Positive(t, c.Quarantined)
	q, err := h.st.ListQuarantine(h.ctx, "t", 100)
	require.NoError(t, err)
	assert.Len(t, q, c.Quarantined)
	for _, e := range q {
		assert.Contains(t, e.Reason, "but not whole")
	}
}

// A page read before another writer synced one of its records (a push got the object's lock
// first) is read again for that record: merged against the newer snapshot, the older read
// looked like a change and wrote the record's earlier value back over the push.
func TestAPageReadBeforeAPushDoesNotRevertIt(t *testing.T) {
	h := newHarness(t, "both")
	h.cycle(ModeImport)
	readAt := h.acts.now()
	stale := h.person(h.mautic, 12) // on a page of the pass on side b
	h.edit(h.sellsy, 12, map[string]any{"first_name": "Renamed"})
	_, err := h.acts.PushOne(h.ctx, PushInput{Connection: "t", Object: "contact", Side: "a", ID: h.person(h.sellsy, 12).ID})
	require.NoError(t, err)
	require.Equal(t, "Renamed", h.person(h.mautic, 12).Fields["firstname"], "pushed")

	p, err := h.acts.newPass(h.ctx, PassInput{Connection: "t", Object: "contact", Side: "b", Mode: ModeIncremental})
	require.NoError(t, err)
	c, err := p.processPage(h.ctx, []connectors.Record{stale}, readAt)
	require.NoError(t, err)
	assert.Equal(t, "Renamed", h.person(h.sellsy, 12).Fields["first_name"])
	assert.Equal(t, "Renamed", h.person(h.mautic, 12).Fields["firstname"])
	assert.Equal(t, 1, c.Unchanged, "%+v", c)
}

// A pass asks between two pages whether its workflow was paused meanwhile (after the first
// page, then at most every pauseCheckEvery), and ends its stretch there: a pause holds the
// writes at once, not after a minute more of them.
func TestAPassStopsAtThePageAPauseFinds(t *testing.T) {
	tests := []struct {
		name      string
		paused    bool
		err       error
		wantPages int
		wantDone  bool
	}{
		{name: "paused", paused: true, wantPages: 1},
		{name: "running", wantPages: 3, wantDone: true},
		{name: "the check fails", err: fmt.Errorf("temporal unreachable"), wantPages: 3, wantDone: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "both")
			var asked []string
			h.acts.WorkflowPaused = func(_ context.Context, id string) (bool, error) {
				asked = append(asked, id)
				return tt.paused, tt.err
			}
			var suite testsuite.WorkflowTestSuite
			ae := suite.NewTestActivityEnvironment()
			ae.RegisterActivity(h.acts)
			v, err := ae.ExecuteActivity(h.acts.SyncPass, PassInput{Connection: "t", Object: "contact", Side: "a", Mode: ModeImport, PageSize: 7, Stretch: time.Hour})
			require.NoError(t, err)
			var res PassResult
			require.NoError(t, v.Get(&res))
			assert.Equal(t, tt.wantPages, res.Pages, "Sellsy's 20 contacts, 7 a page")
			assert.Equal(t, tt.wantDone, res.Done)
			require.NotEmpty(t, asked)
			assert.Equal(t, "default-test-workflow-id", asked[0], "its own workflow")
			assert.Len(t, asked, 1, "at most every %s", pauseCheckEvery)
		})
	}
}

// A contact Automation answers in a shape that cannot be read is quarantined by its id with
// the reason, and the others of its page sync: it is not missed without a trace.
func TestAnUnreadableRecordIsQuarantined(t *testing.T) {
	var spoil atomic.Value // the id of the contact whose answer is spoiled
	spoil.Store("")
	h := newHarnessVia(t, "both", `
  - name: contact
    match: {a: email, b: email}
    fields: [{a: email, b: email}, {a: last_name, b: lastname}]`, func(mauticURL string) string {
		target, err := url.Parse(mauticURL)
		require.NoError(t, err)
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.ModifyResponse = func(r *http.Response) error {
			id, _ := spoil.Load().(string)
			if id == "" || r.Request.Method != http.MethodGet || r.Request.URL.Path != "/api/contacts" {
				return nil
			}
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return err
			}
			var list map[string]any
			if err := json.Unmarshal(body, &list); err != nil {
				return err
			}
			if contacts, ok := list["contacts"].(map[string]any); ok {
				if c, ok := contacts[id].(map[string]any); ok {
					c["fields"] = "not an object"
				}
			}
			body, err = json.Marshal(list)
			if err != nil {
				return err
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			r.Header.Del("Content-Length")
			return nil
		}
		srv := httptest.NewServer(proxy)
		t.Cleanup(srv.Close)
		return srv.URL
	})
	bad := h.person(h.mautic, 25) // only in Automation
	spoil.Store(bad.ID)
	c := h.pass("contact", "b", ModeImport)
	assert.Equal(t, 1, c.Quarantined, "%+v", c)
	q, err := h.st.ListQuarantine(h.ctx, "t", 10)
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, bad.ID, q[0].RecordID)
	assert.Contains(t, q[0].Reason, "mautic contact cannot be read: fields")
	assert.Positive(t, c.CreatedA, "the others of the page synced")

	spoil.Store("") // fixed in Automation, edited: read again, synced, out of the quarantine
	h.edit(h.mautic, 25, map[string]any{"lastname": "Fixed"})
	h.pass("contact", "b", ModeIncremental)
	n, err := h.st.CountQuarantine(h.ctx, "t")
	require.NoError(t, err)
	assert.Zero(t, n)
}

// versioned stamps every record it reads with version.
type versioned struct {
	connectors.Connector
	version string
}

func (v *versioned) stamp(recs []connectors.Record) []connectors.Record {
	for i := range recs {
		recs[i].Version = v.version
	}
	return recs
}

func (v *versioned) List(ctx context.Context, object string, q connectors.ListQuery) (connectors.Page, error) {
	p, err := v.Connector.List(ctx, object, q)
	p.Records = v.stamp(p.Records)
	return p, err
}

func (v *versioned) Get(ctx context.Context, object string, ids []string) ([]connectors.Record, error) {
	recs, err := v.Connector.Get(ctx, object, ids)
	return v.stamp(recs), err
}

func (v *versioned) FindByKey(ctx context.Context, object, field string, values []string) ([]connectors.Record, error) {
	recs, err := v.Connector.FindByKey(ctx, object, field, values)
	return v.stamp(recs), err
}

// A record read from an older source than the one last synced (a UNAS customer rebuilt from
// an older order whose status changed) is not merged: it would bring back the data of then.
func TestARecordOfAnOlderVersionIsNotMerged(t *testing.T) {
	tests := []struct {
		name, first, then string
		wantMerged        bool
	}{
		{"older", "2026-03-01T10:00:00Z#2", "2026-01-01T10:00:00Z#1", false},
		{"newer", "2026-01-01T10:00:00Z#1", "2026-03-01T10:00:00Z#2", true},
		{"none", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "both")
			v := &versioned{Connector: h.mautic, version: tt.first}
			h.acts.Conns.use("t", h.sellsy, v)
			h.cycle(ModeImport)
			h.edit(h.mautic, 12, map[string]any{"firstname": "Then"})
			v.version = tt.then
			h.pass("contact", "b", ModeIncremental)
			got := h.person(h.sellsy, 12).Fields["first_name"]
			if tt.wantMerged {
				assert.Equal(t, "Then", got)
			} else {
				assert.NotEqual(t, "Then", got, "the older read left out")
			}
		})
	}
}
