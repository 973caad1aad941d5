package mautic

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
)

// fakeAutomation answers the fields API with fields and every contacts or companies listing
// with answer; the logger it gives the client writes into log.
func fakeAutomation(t *testing.T, fields, answer string) (*Client, *bytes.Buffer) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/fields/contact"):
			_, _ = w.Write([]byte(fields))
		case strings.HasSuffix(r.URL.Path, "/companies"):
			_, _ = w.Write([]byte(`{"total":"0","companies":{}}`))
		case strings.HasSuffix(r.URL.Path, "/contacts"):
			_, _ = w.Write([]byte(answer))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	var log bytes.Buffer
	c, err := New(Config{BaseURL: srv.URL, Username: user, Password: pass, RequestsPerSecond: 1000,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	return c, &log
}

const emailField = `{"total":1,"fields":[{"alias":"email","type":"email"},{"alias":"erp_id","type":"number"},{"alias":"ref","type":"text"},{"alias":"price","type":"number"}]}`

// fields.all casts number fields to int (float with a scale): a lookup on a number field
// finds the contact holding the number, however large, and only that one.
func TestFindByNumericKey(t *testing.T) {
	tests := []struct {
		name   string
		field  string
		all    string // contact 7's fields.all
		values []string
		found  bool
	}{
		{"seven-digit int", "erp_id", `{"erp_id":1234567}`, []string{"1234567"}, true},
		{"eleven-digit int", "erp_id", `{"erp_id":12345678901}`, []string{"12345678901"}, true},
		{"small int", "erp_id", `{"erp_id":42}`, []string{"42"}, true},
		{"float with a scale", "price", `{"price":12.5}`, []string{"12.50"}, true},
		{"number given as a string", "erp_id", `{"erp_id":"1234567"}`, []string{"1234567"}, true},
		{"another number", "erp_id", `{"erp_id":1234568}`, []string{"1234567"}, false},
		{"text is compared as text", "ref", `{"ref":"1.50"}`, []string{"1.5"}, false},
		{"e-mail ignores case", "email", `{"email":"A@X.io"}`, []string{"a@x.io"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := fakeAutomation(t, emailField, `{"total":"1","contacts":{"7":{"id":7,"fields":{"all":`+tt.all+`}}}}`)
			recs, err := c.FindByKey(context.Background(), connectors.ObjectContact, tt.field, tt.values)
			require.NoError(t, err)
			if tt.found {
				assert.Equal(t, []string{"7"}, ids(recs))
			} else {
				assert.Empty(t, recs)
			}
		})
	}
}

// The shapes PHP gives an array are read as the API means them: [] is an empty group, and an
// array with gaps, written as an object keyed by index, is the list of its values.
func TestListPHPArrayShapes(t *testing.T) {
	tests := []struct {
		name  string
		odd   string // contact 8
		check func(t *testing.T, r connectors.Record)
	}{
		{"fields.all is []", `{"id":8,"fields":{"all":[]}}`, func(t *testing.T, r connectors.Record) {
			assert.Nil(t, r.Fields["email"])
			assert.Equal(t, false, r.Fields["dnc.email"])
		}},
		{"fields is []", `{"id":8,"fields":[]}`, func(t *testing.T, r connectors.Record) {
			assert.Nil(t, r.Fields["email"])
		}},
		{"doNotContact keyed by index", `{"id":8,"fields":{"all":{"email":"b@x.io"}},"doNotContact":{"1":{"channel":"email","reason":1}}}`, func(t *testing.T, r connectors.Record) {
			assert.Equal(t, "b@x.io", r.Fields["email"])
			assert.Equal(t, true, r.Fields["dnc.email"])
			assert.Equal(t, false, r.Fields["bounced"])
		}},
		{"doNotContact keyed by index, bounce after unsubscribe", `{"id":8,"fields":{"all":{"email":"b@x.io"}},"doNotContact":{"10":{"channel":"sms","reason":3},"2":{"channel":"email","reason":2,"dateAdded":"2026-03-01T11:00:00+00:00"}}}`, func(t *testing.T, r connectors.Record) {
			assert.Equal(t, true, r.Fields["dnc.email"])
			assert.Equal(t, true, r.Fields["dnc.sms"])
			assert.Equal(t, true, r.Fields["bounced"])
			assert.Equal(t, "2026-03-01T11:00:00Z", r.Fields["bounced_at"])
		}},
		{"doNotContact is {}", `{"id":8,"fields":{"all":{"email":"b@x.io"}},"doNotContact":{}}`, func(t *testing.T, r connectors.Record) {
			assert.Equal(t, false, r.Fields["dnc.email"])
		}},
		{"numbers in fields.all", `{"id":8,"fields":{"all":{"email":"b@x.io","ref":1234567,"erp_id":1234567}}}`, func(t *testing.T, r connectors.Record) {
			assert.Equal(t, "1234567", r.Fields["ref"], "a number in a text field is read without an exponent")
			assert.Equal(t, 1234567.0, r.Fields["erp_id"])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, log := fakeAutomation(t, emailField, `{"total":"2","contacts":{"7":{"id":7,"fields":{"all":{"email":"a@x.io"}}},"8":`+tt.odd+`}}`)
			page, err := c.List(context.Background(), connectors.ObjectContact, connectors.ListQuery{})
			require.NoError(t, err)
			require.Equal(t, []string{"7", "8"}, ids(page.Records))
			assert.Equal(t, "a@x.io", page.Records[0].Fields["email"])
			tt.check(t, page.Records[1])
			assert.Equal(t, "8", page.Cursor)
			assert.Empty(t, log.String())
		})
	}
}

// A contact that still cannot be read does not make its page unreadable: the others are
// delivered, the cursor moves past it, and it is named with the reason.
func TestListUnreadableContact(t *testing.T) {
	tests := []struct {
		name       string
		collection string // holds contacts 7, 9 and an unreadable one
		named      string
		reason     string
	}{
		{"date-time is a number", `{"7":{"id":7},"8":{"id":8,"dateModified":1700000000},"9":{"id":9}}`, "contact 8", "dateModified is a number, not a string"},
		{"fields.all is a string", `{"7":{"id":7},"8":{"id":8,"fields":{"all":"x"}},"9":{"id":9}}`, "contact 8", "fields.all is a string, not an object"},
		{"fields.all is a list of values", `{"7":{"id":7},"8":{"id":8,"fields":{"all":["b@x.io"]}},"9":{"id":9}}`, "contact 8", "fields.all is an array, not an object"},
		{"doNotContact is a string", `{"7":{"id":7},"8":{"id":8,"doNotContact":"email"},"9":{"id":9}}`, "contact 8", "doNotContact is a string, not an array"},
		{"a doNotContact channel is a number", `{"7":{"id":7},"8":{"id":8,"doNotContact":[{"channel":1,"reason":1}]},"9":{"id":9}}`, "contact 8", "doNotContact.0.channel is a number, not a string"},
		{"keyed doNotContact entry is a string", `{"7":{"id":7},"8":{"id":8,"doNotContact":{"3":"email"}},"9":{"id":9}}`, "contact 8", "doNotContact.3 is a string, not an object"},
		{"the id is an object", `{"7":{"id":7},"8":{"id":{"v":8}},"9":{"id":9}}`, "contact 8", "its id is an object, not a number"},
		{"no id", `{"7":{"id":7},"8":{"fields":{"all":{}}},"9":{"id":9}}`, "contact 8", "it has no id"},
		{"the contact is a string", `{"7":{"id":7},"8":"x","9":{"id":9}}`, "contact 8", "it is a string, not an object"},
		{"last of the page", `{"7":{"id":7},"9":{"id":9},"10":{"id":10,"fields":{"all":"x"}}}`, "contact 10", "fields.all is a string, not an object"},
		{"in an array", `[{"id":7},{"id":8,"fields":{"all":"x"}},{"id":9}]`, "contact 8", "fields.all is a string, not an object"},
		{"no id in an array", `[{"id":7},{"fields":{"all":{}}},{"id":9}]`, "contact at position 2 of the answer", "it has no id"},
		{"null", `{"7":{"id":7},"8":null,"9":{"id":9}}`, "contact 8", "the answer holds null for it"},
		{"null in an array", `[{"id":7},null,{"id":9}]`, "contact at position 2 of the answer", "the answer holds null for it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, log := fakeAutomation(t, emailField, `{"total":"3","contacts":`+tt.collection+`}`)
			ctx := context.Background()
			page, err := c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 3})
			require.NoError(t, err)
			assert.Equal(t, []string{"7", "9"}, ids(page.Records))
			assert.True(t, page.More, "three contacts read of a page of three")
			if tt.named == "contact 10" {
				assert.Equal(t, "10", page.Cursor)
			} else {
				assert.Equal(t, "9", page.Cursor)
			}
			assert.Contains(t, log.String(), "level=WARN")
			assert.Contains(t, log.String(), tt.named+" cannot be read: "+tt.reason)
			// Named by its id with the reason, for the sync to quarantine; one without an id,
			// by its place in the page.
			if id, ok := strings.CutPrefix(tt.named, "contact "); ok && !strings.Contains(id, " ") {
				assert.Equal(t, []connectors.Unreadable{{ID: id, Reason: tt.reason}}, page.Unreadable)
			} else {
				assert.Equal(t, []connectors.Unreadable{{ID: "(no id: #2 of the first page)", Reason: tt.reason}}, page.Unreadable)
				later, err := c.List(ctx, connectors.ObjectContact, connectors.ListQuery{Limit: 3, Cursor: "6"}) // the fake answers the same
				require.NoError(t, err)
				assert.Equal(t, []connectors.Unreadable{{ID: "(no id: #2 of the page after cursor 6)", Reason: tt.reason}}, later.Unreadable)
			}

			got, err := c.Get(ctx, connectors.ObjectContact, []string{"7", "8", "9", "10"})
			require.NoError(t, err)
			assert.Equal(t, []string{"7", "9"}, ids(got))
		})
	}
}

// Numbers read from JSON are written out whole, never in exponent form.
func TestNumbersAsText(t *testing.T) {
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"list option values", listOptions([]byte(`{"list":[{"label":1000000,"value":1234567}]}`)), []connectors.Option{{Value: "1234567", Label: "1000000"}}},
		{"multiselect given as a list", normalise("multiselect", []any{1234567.0, "a"}), []string{"1234567", "a"}},
		{"a number field holding NaN stays text", normalise("number", "NaN"), "NaN"},
		{"a number field holding Inf stays text", normalise("number", "Inf"), "Inf"},
		{"error details", detailText([]any{"max", 1000000.0}), "max 1000000"},
		{"error detail", detailText(12345678.0), "12345678"},
		{"do-not-contact reason", connectors.Text(2.0), "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}

// Odd entities anywhere in a large answer (read in several buffers) are read again from their
// own text, and every other one is read as it is.
func TestStreamEntitiesOddShapesInALargeAnswer(t *testing.T) {
	tests := []struct {
		name       string
		every      int
		odd        func(id int) string
		unreadable string
		noID       bool
	}{
		{"fields.all is []", 7, func(id int) string { return fmt.Sprintf(`{"id":%d,"fields":{"core":[],"all":[]}}`, id) }, "", false},
		{"doNotContact keyed by index", 11, func(id int) string {
			return fmt.Sprintf(`{"id":%d,"fields":{"all":{"email":"p%d@x.io"}},"doNotContact":{"2":{"channel":"email","reason":1}}}`, id, id)
		}, "", false},
		{"fields.all is a string", 13, func(id int) string { return fmt.Sprintf(`{"id":%d,"fields":{"all":"x"}}`, id) }, "fields.all is a string, not an object", false},
		{"not an object", 17, func(id int) string { return `[1,{"id":2}]` }, "it is an array, not an object", true},
	}
	pad := strings.Repeat(`{"alias":"x","type":"text","value":null,"label":"X"},`, 20)
	for _, tt := range tests {
		for _, keyed := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, keyed %v", tt.name, keyed), func(t *testing.T) {
				var b strings.Builder
				b.WriteString(`{"total":"600","contacts":` + map[bool]string{true: "{", false: "["}[keyed])
				for id := 1; id <= 600; id++ {
					if id > 1 {
						b.WriteString(" ,\n ")
					}
					if keyed {
						fmt.Fprintf(&b, `"%d" : `, id)
					}
					if id%tt.every == 0 {
						b.WriteString(tt.odd(id))
					} else {
						fmt.Fprintf(&b, `{"id":%d,"fields":{"core":{"pad":[%s{}]},"all":{"email":"p%d@x.io"}},"doNotContact":[]}`, id, pad, id)
					}
				}
				b.WriteString(map[bool]string{true: "}", false: "]"}[keyed] + `}`)
				ents, err := streamEntities([]byte(b.String()), "contacts")
				require.NoError(t, err)
				require.Len(t, ents, 600)
				byID, unnamed := map[flexID]*entity{}, 0
				for _, e := range ents {
					if e.ID == "" {
						unnamed++
						assert.Equal(t, tt.unreadable, e.unreadable)
						continue
					}
					byID[e.ID] = e
				}
				for id := 1; id <= 600; id++ {
					e := byID[flexID(fmt.Sprint(id))]
					switch {
					case id%tt.every != 0:
						require.NotNil(t, e, "contact %d", id)
						assert.Equal(t, fmt.Sprintf("p%d@x.io", id), e.Fields.All["email"], "contact %d", id)
						assert.Empty(t, e.unreadable)
					case keyed || !tt.noID:
						require.NotNil(t, e, "contact %d", id)
						assert.Equal(t, tt.unreadable, e.unreadable, "contact %d", id)
					default:
						assert.Nil(t, e, "contact %d has no id in an array", id)
					}
				}
				if !keyed && tt.noID {
					assert.Equal(t, 600/tt.every, unnamed)
				}
			})
		}
	}
}
