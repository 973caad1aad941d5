package unas

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/simkit"
)

// The reference gives getOrder's TimeModStart and TimeModEnd as "modified after/before",
// without saying whether an order modified in the very second of a bound is in. Read
// literally (both left out), every order modified in the second a listing's window ended
// (the next listing's start) would be in neither listing. The next listing asks from a
// second earlier, as the start date's TimeStart does: such orders come with it whichever
// way UNAS reads its bounds.
func TestOrderModifiedInTheSecondAWindowEndsIsListed(t *testing.T) {
	for _, bounds := range []string{"inclusive", "exclusive"} {
		t.Run(bounds, func(t *testing.T) {
			budapest, err := time.LoadLocation("Europe/Budapest")
			require.NoError(t, err)
			clk := simkit.NewClock(t0)
			var mu sync.Mutex
			mods := map[string]time.Time{} // key → DateMod
			in := func(mod time.Time, p map[string]string) bool {
				from, _ := strconv.ParseInt(p["TimeModStart"], 10, 64)
				to, _ := strconv.ParseInt(p["TimeModEnd"], 10, 64)
				if bounds == "exclusive" {
					return (p["TimeModStart"] == "" || mod.Unix() > from) && mod.Unix() < to
				}
				return (p["TimeModStart"] == "" || mod.Unix() >= from) && mod.Unix() <= to
			}
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/shop/login":
					_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Login><Token>t</Token><Subscription>PREMIUM</Subscription><Status>ok</Status></Login>`))
				case "/shop/getOrder":
					body, _ := io.ReadAll(r.Body)
					var params struct {
						Fields []struct {
							XMLName xml.Name
							Value   string `xml:",chardata"`
						} `xml:",any"`
					}
					_ = xml.Unmarshal(body[strings.Index(string(body), "<Params>"):], &params)
					p := map[string]string{}
					for _, f := range params.Fields {
						p[f.XMLName.Local] = f.Value
					}
					var b strings.Builder
					b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Orders>`)
					mu.Lock()
					for key, mod := range mods {
						if in(mod, p) {
							fmt.Fprintf(&b, `<Order><Key>%s</Key><Id>%s</Id><Date>2026.03.01 09:00:00</Date><DateMod>%s</DateMod><Customer><Email>p%s@example.com</Email></Customer><Status>Beérkezett</Status></Order>`,
								key, key, mod.In(budapest).Format(dateLayout), key)
						}
					}
					mu.Unlock()
					b.WriteString(`</Orders>`)
					_, _ = w.Write([]byte(b.String()))
				}
			}))
			t.Cleanup(ts.Close)
			c, err := New(Config{BaseURL: ts.URL + "/shop", APIKey: "k", Now: clk.Now})
			require.NoError(t, err)
			list := func(since time.Time) (keys []string, asOf time.Time) {
				p, err := c.List(context.Background(), ObjectOrder, connectors.ListQuery{Since: since})
				require.NoError(t, err)
				for _, r := range p.Records {
					keys = append(keys, r.Fields["key"].(string))
				}
				return keys, p.AsOf
			}

			mu.Lock()
			mods["1"] = t0.Add(-time.Hour)
			mu.Unlock()
			first, asOf := list(t0.Add(-2 * time.Hour))
			assert.Equal(t, []string{"1"}, first)
			mu.Lock()
			mods["2"] = asOf // modified in the second the window ended, after it was read
			mu.Unlock()
			clk.Advance(5 * time.Minute)
			next, _ := list(asOf)
			assert.Contains(t, next, "2", "the order modified in the second the last window ended")
		})
	}
}
