package mautic

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/mautic/internal/phptext"
)

// Mautic merges a company created through its API into one that has the same name: POST
// /companies/new looks the name up (IdentifyCompanyHelper::findCompany) and edits the company
// it finds unless the body has force=1. Its batch/new does not (CompanyApiController has no
// getNewEntity of its own, Mautic 2 to 5), but a distribution may: Automation's is not
// verified, so a name already taken goes through /new with force all the same. The sync has
// already matched the company on the connection's own key before creating it: two Sellsy
// companies of one name (two establishments, two SIRETs) must be two Automation companies,
// not one edited twice.

// forcedCreate is the route that creates a company whatever its name.
const forcedCreate = "POST /companies/new"

// createCompanies creates companies, none merged into another: those whose name some
// Automation company already has, or that an earlier record of the call has too, are created
// one by one with force=1 after the others, which go in batches. Finding the names taken costs
// one companies query per 200 names or so: an import of new companies takes about half a call
// more per 200 records than batches alone.
func (c *Client) createCompanies(ctx context.Context, records []connectors.Record) ([]connectors.Result, map[int]error, error) {
	results := make([]connectors.Result, len(records))
	dropped := map[int]error{}
	keys := make([]string, len(records))
	var names []string
	seen := map[string]bool{}
	for i, r := range records {
		var name string
		if v := r.Fields["companyname"]; v != nil {
			name = strings.TrimSpace(connectors.Text(v))
		}
		keys[i] = nameKey(name)
		if keys[i] != "" && !seen[keys[i]] {
			seen[keys[i]] = true
			names = append(names, name)
		}
	}
	// Names a lookup on companyname has just found absent (a connection matching companies
	// on their name) are not looked up again.
	ask := c.takeAbsent(names)
	taken, err := c.companyNamesTaken(ctx, ask)
	if err != nil {
		return results, dropped, err
	}
	var batched, single []int
	first := map[string]bool{}
	for i, k := range keys {
		switch {
		case k == "": // refused for its missing name; merged into nothing
			batched = append(batched, i)
		case taken[k] || first[k]:
			single = append(single, i)
		default:
			first[k] = true
			batched = append(batched, i)
		}
	}
	sub := make([]connectors.Record, len(batched))
	for j, i := range batched {
		sub[j] = records[i]
	}
	// The batch goes first: a name it creates would otherwise take the forced ones' place.
	res, d, _, err := c.batch(ctx, http.MethodPost, "companies", "/batch/new", sub, false, connectors.ObjectCompany)
	for j, i := range batched {
		if j < len(res) {
			results[i] = res[j]
		}
		if e, ok := d[j]; ok {
			dropped[i] = e
		}
	}
	if err != nil {
		return results, dropped, err
	}
	return results, dropped, c.forceCreate(ctx, records, single, results, dropped)
}

// forceCreate creates the companies records[idx] one by one with POST /companies/new and
// force=1, Concurrency at a time. A refused record fails its own Result; a failure of another
// kind (quota, outage) fails it too and is returned.
func (c *Client) forceCreate(ctx context.Context, records []connectors.Record, idx []int, results []connectors.Result, dropped map[int]error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, Concurrency)
	)
	for _, i := range idx {
		body, err := writeBody(connectors.ObjectCompany, records[i], false)
		if err != nil {
			results[i].Err = err
			continue
		}
		body["force"] = 1
		wg.Add(1)
		go func(i int, body map[string]any) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var (
				status int
				id     string
				drop   error
			)
			// Safe: a panic here (reading an answer of an odd shape), where nothing above can
			// recover it, would end the worker process; it is the record's error instead.
			err := connectors.Safe(System, forcedCreate, func() error {
				st, raw, err := c.send(ctx, http.MethodPost, "/companies/new", forcedCreate, nil, body)
				if err != nil {
					return err
				}
				status = st
				var ans struct {
					Company *entityID `json:"company"`
				}
				if jerr := json.Unmarshal(raw, &ans); jerr != nil || ans.Company == nil || ans.Company.ID == "" {
					return &connectors.Error{Kind: connectors.KindRetryable, System: System, Op: forcedCreate, Message: "unexpected response: no company in the answer"}
				}
				id = string(ans.Company.ID)
				if z := zeroValues(records[i]); len(z) > 0 {
					drop = c.zeroDropped(ctx, forcedCreate, connectors.ObjectCompany, z, echoedValues(raw, "company", true, 1)[0])
				}
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				results[i].Err = err
				if id != "" {
					// Created, then the panic: the company exists, and the caller pairs it
					// rather than create it again.
					results[i].ID, results[i].Created = id, status == http.StatusCreated
				}
				if connectors.KindOf(err) != connectors.KindInvalid && firstErr == nil {
					firstErr = err
				}
				return
			}
			results[i].ID, results[i].Created = id, status == http.StatusCreated
			if drop != nil {
				dropped[i] = drop
			}
		}(i, body)
	}
	wg.Wait()
	return firstErr
}

// nameQueryBudget bounds the names of one lookup by the length of their encoded list: long
// query strings are refused by some servers (8 KB by default on Apache).
const nameQueryBudget = 4000

// companyNamesTaken returns the keys (nameKey) of the names some Automation company has, with
// one where companyname in (…) query per batch of names, paged when a name is held by many. The
// database compares the names (case and accents aside): a company found whose name matches
// none of the batch's by nameKey marks the batch's names that match it loosely, or, when none
// does, the whole batch — a name wrongly taken for taken costs one call, a name missed makes
// two companies one.
func (c *Client) companyNamesTaken(ctx context.Context, names []string) (map[string]bool, error) {
	taken := map[string]bool{}
	for len(names) > 0 {
		n, size, forms := 0, 0, 0
		for n < len(names) {
			// A name is asked for in both its forms where they differ (listWhereIn): quotes
			// and comma, at most, for each.
			l, f := len(url.QueryEscape(names[n]))+3, 1
			if enc := phptext.SpecialChars(names[n]); enc != names[n] {
				l, f = l+len(url.QueryEscape(enc))+3, 2
			}
			if n > 0 && (size+l > nameQueryBudget || forms+f > PageLimit) {
				break
			}
			size, forms = size+l, forms+f
			n++
		}
		batch := names[:n]
		names = names[n:]
		ents, err := c.listWhereIn(ctx, "companies", connectors.ObjectCompany, "companyname", batch)
		if err != nil {
			return nil, err
		}
		for k := range takenIn(batch, ents) {
			taken[k] = true
		}
	}
	return taken, nil
}

// takenIn returns the keys of the names of batch that the companies ents, found by a query
// on companyname in batch, hold (see companyNamesTaken).
func takenIn(batch []string, ents []*entity) map[string]bool {
	keys := map[string]bool{}
	for _, name := range batch {
		keys[nameKey(name)] = true
	}
	taken := map[string]bool{}
	for _, e := range ents {
		name, _ := e.Fields.All["companyname"].(string)
		name = html.UnescapeString(name) // stored cleaned: "O&#39;Brien"
		if k := nameKey(name); e.unreadable == "" && keys[k] {
			taken[k] = true
			continue
		}
		loose := false
		for _, other := range batch {
			if e.unreadable == "" && looseKey(other) == looseKey(name) {
				taken[nameKey(other)], loose = true, true
			}
		}
		if !loose {
			for k := range keys {
				taken[k] = true
			}
		}
	}
	return taken
}

// absentFor is how long a name found absent by a lookup is trusted to be absent still: the
// sync creates what it did not find within the same page.
const absentFor = time.Minute

// noteAbsent records which names of batch a lookup on companyname found no company for
// (ents: what it found).
func (c *Client) noteAbsent(batch []string, ents []*entity) {
	taken := takenIn(batch, ents)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, name := range batch {
		k := nameKey(name)
		if k == "" {
			continue
		}
		if taken[k] {
			delete(c.absent, k)
		} else {
			c.absent[k] = now
		}
	}
}

// takeAbsent returns the names not recently found absent, and forgets those that were: they
// are about to be created, so they are absent no more.
func (c *Client) takeAbsent(names []string) []string {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var ask []string
	for _, name := range names {
		k := nameKey(name)
		if at, ok := c.absent[k]; !ok || now.Sub(at) > absentFor {
			ask = append(ask, name)
		}
		delete(c.absent, k)
	}
	for k, at := range c.absent { // entries never used
		if now.Sub(at) > absentFor {
			delete(c.absent, k)
		}
	}
	return ask
}

// nameKey is the form in which two company names are one for Mautic's database (a
// case- and accent-insensitive collation that ignores trailing spaces): lower-cased, trimmed,
// the accents of Latin letters dropped. "" for no name.
func nameKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		if f, ok := latinFold[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// looseKey is nameKey with letters and digits only.
func looseKey(name string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, nameKey(name))
}

// latinFold maps the lower-case accented Latin letters to their base letters, and the
// ligatures to their letters, as the database's collation compares them.
var latinFold = func() map[rune]string {
	m := map[rune]string{'æ': "ae", 'œ': "oe", 'ß': "ss", 'ø': "o", 'đ': "d", 'ł': "l"}
	for base, accented := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęě", "g": "ĝğġģ", "h": "ĥħ",
		"i": "ìíîïĩīĭįı", "j": "ĵ", "k": "ķ", "l": "ĺļľŀ", "n": "ñńņňŉ", "o": "òóôõöōŏő",
		"r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț", "u": "ùúûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()
