// Package registry builds the connector a connection file names, from its settings and the
// credentials held in the environment.
package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"golang.org/x/time/rate"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/apimetrics"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/connectors/minicrm"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/unas"
	"github.com/crmsync/crmsync/connectors/weavy"
	"github.com/crmsync/crmsync/store"
)

// Accounts shares one client-side rate limiter per API account among the connectors a
// process opens: two connections (or a connection and the Sellsy activities) on one Sellsy
// account split its quota instead of each spending all of it and both being refused. The
// zero value is ready to use.
type Accounts struct {
	// Quotas, when set (the worker's store), counts UNAS's hourly calls where every worker
	// process sharing the store sees them; otherwise each process counts its own.
	Quotas store.Quotas
	// Metrics, when set (the worker's), counts and times every request the connectors make,
	// by system and status (package apimetrics).
	Metrics client.MetricsHandler

	mu        sync.Mutex
	limiters  map[string]*rate.Limiter
	unasShops map[string]*unasShop
}

// unasShop is what the connections reading one UNAS shop share in the process: its hourly
// call budget (unless it is on the store) and its login token and bans.
type unasShop struct {
	budget *unas.Budget
	state  *unas.Shop
}

// unas returns the shared state of one UNAS shop, made the first time it is asked for.
func (a *Accounts) unas(shop string) *unasShop {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.unasShops == nil {
		a.unasShops = map[string]*unasShop{}
	}
	s, ok := a.unasShops[shop]
	if !ok {
		s = &unasShop{budget: unas.NewBudget(), state: unas.NewShop()}
		a.unasShops[shop] = s
	}
	return s
}

// unasState returns the login token and bans of one UNAS shop, shared by the connections that
// read it and kept when a connection's connectors are built again (nil Accounts: the
// connector's own). They stay in the process even when the budget is on the store: a token
// is not to be stored, and each process learns of a ban from its own calls.
func (a *Accounts) unasState(shop string) *unas.Shop {
	if a == nil {
		return nil
	}
	return a.unas(shop).state
}

// unasLedger returns the hourly call ledger of one UNAS shop, shared by the connections that
// read it (nil Accounts: a budget of the connector's own). shop never holds a secret.
func (a *Accounts) unasLedger(shop string) unas.Ledger {
	if a == nil {
		return nil
	}
	if a.Quotas != nil {
		return &quotaLedger{quotas: a.Quotas, shop: shop}
	}
	return a.unas(shop).budget
}

// quotaLedger keeps a shop's UNAS calls in the store's quotas, keyed "<shop>/<class>".
type quotaLedger struct {
	quotas store.Quotas
	shop   string
}

func (l *quotaLedger) Take(ctx context.Context, claims []unas.Claim, now time.Time) (time.Duration, error) {
	qc := make([]store.QuotaClaim, len(claims))
	for i, c := range claims {
		qc[i] = store.QuotaClaim{Key: l.shop + "/" + c.Class, Limit: c.Limit}
	}
	wait, err := l.quotas.TakeQuota(ctx, qc, unas.CountedFor, now)
	if wait > 0 {
		wait += time.Second // clear of the edge, as the in-process budget
	}
	return wait, err
}

// miniCRMQuota returns the quota of one MiniCRM system counted in the store, shared by every
// process on it (nil without a store: the process's limiter alone spaces its requests).
// system never holds a secret: base URL and system id.
func (a *Accounts) miniCRMQuota(system string, perMinute float64) minicrm.Quota {
	if a == nil || a.Quotas == nil {
		return nil
	}
	return &storedMiniCRMQuota{quotas: a.Quotas, claim: store.QuotaClaim{Key: system, Limit: minicrm.QuotaLimit(perMinute)}}
}

// storedMiniCRMQuota keeps a MiniCRM system's requests in the store's quotas, keyed
// "minicrm <base URL> <system id>".
type storedMiniCRMQuota struct {
	quotas store.Quotas
	claim  store.QuotaClaim
}

// MiniCRMCountedFor is how long the store counts a MiniCRM request: the sliding minute
// MiniCRM counts in, and a second for the request to reach it (MiniCRM's minute starts when
// it receives the request, after crmsync counted it).
const MiniCRMCountedFor = time.Minute + time.Second

func (q *storedMiniCRMQuota) Take(ctx context.Context, now time.Time) (time.Duration, error) {
	return q.quotas.TakeQuota(ctx, []store.QuotaClaim{q.claim}, MiniCRMCountedFor, now)
}

// MiniCRMSystem names one MiniCRM system in the store's quotas: the API's address, as one
// text per server however it is written (as UNASShop's), and the system id (not a secret: it
// is in the address users open).
func MiniCRMSystem(baseURL, systemID string) string {
	return "minicrm " + serverURL(baseURL, "") + " " + strings.TrimSpace(systemID)
}

// Share returns the limiter of the account key: l the first time, the one already shared
// afterwards — slowed to l's rate when that is lower (the strictest setting wins).
func (a *Accounts) Share(key string, l *rate.Limiter) *rate.Limiter {
	if a == nil {
		return l
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.limiters == nil {
		a.limiters = map[string]*rate.Limiter{}
	}
	shared, ok := a.limiters[key]
	if !ok {
		a.limiters[key] = l
		return l
	}
	if l.Limit() < shared.Limit() {
		shared.SetLimit(l.Limit())
	}
	return shared
}

// Open returns the connector for one side of a connection, with a rate limiter of its own.
// side ("a" or "b") is used in error messages.
func Open(c *config.Connection, side string, httpClient *http.Client) (connectors.Connector, error) {
	return OpenShared(c, side, httpClient, nil)
}

// OpenShared is Open with the limiters of accounts (nil: none shared): connectors on one
// Sellsy account or one Automation instance share one.
func OpenShared(c *config.Connection, side string, httpClient *http.Client, accounts *Accounts) (connectors.Connector, error) {
	sys := c.Side(side)
	at := func(err error) error { return fmt.Errorf("%s: %s: %w", c.File, side, err) }
	if accounts != nil && accounts.Metrics != nil {
		httpClient = apimetrics.Client(httpClient, accounts.Metrics, sys.System)
	}
	rps, err := floatSetting(sys, "requests_per_second")
	if err != nil {
		return nil, at(err)
	}
	cred, err := sys.Secrets()
	if err != nil {
		return nil, at(err)
	}
	set := sys.Settings
	hint := func(keys ...string) string { return credentialsHint(c, side, keys...) }
	var conn connectors.Connector
	switch sys.System {
	case "sellsy":
		conn, err = connector(sellsy.New(sellsy.Config{APIURL: set["api_url"], TokenURL: set["token_url"], ClientID: cred["client_id"], ClientSecret: cred["client_secret"],
			CredentialsHint:   hint("client_id", "client_secret"),
			RequestsPerSecond: rps, CompanyType: set["company_type"], HTTPClient: httpClient, Fields: mappedFields(c, side), ContactLinks: linksContacts(c, side),
			Limiter: accounts.Share("sellsy "+set["api_url"]+" "+cred["client_id"], sellsy.NewLimiter(rps))}))
	case "mautic":
		conn, err = connector(mautic.New(mautic.Config{BaseURL: set["base_url"], Username: cred["username"], Password: cred["password"], CredentialsHint: hint("username", "password"),
			RequestsPerSecond: rps, HTTPClient: httpClient,
			Limiter: accounts.Share("mautic "+strings.TrimRight(set["base_url"], "/")+" "+cred["username"], mautic.NewLimiter(rps))}))
	case "weavy":
		conn, err = connector(weavy.New(weavy.Config{BaseURL: set["base_url"], Project: set["project"], UserName: cred["username"], Password: cred["password"], CredentialsHint: hint("username", "password"),
			RequestsPerSecond: rps, TimeZone: set["time_zone"], ContactTables: set["contact_tables"], HTTPClient: httpClient,
			Limiter: accounts.Share("weavy "+strings.TrimRight(set["base_url"], "/")+" "+set["project"], weavy.NewLimiter(rps))}))
	case "altior":
		conn, err = connector(altior.New(altior.Config{BaseURL: set["base_url"], APIKey: cred["api_key"], CredentialsHint: hint("api_key"), RequestsPerSecond: rps, HTTPClient: httpClient,
			ReferenceUserEmail: set["reference_user_email"], Establishment: set["establishment"],
			Limiter: accounts.Share("altior "+strings.TrimRight(set["base_url"], "/"), altior.NewLimiter(rps))}))
	case "unas":
		lists, lerr := intSetting(sys, "order_lists_per_hour")
		if lerr != nil {
			return nil, at(lerr)
		}
		shop := UNASShop(set["base_url"], cred["api_key"])
		conn, err = connector(unas.New(unas.Config{BaseURL: set["base_url"], APIKey: cred["api_key"], CredentialsHint: hint("api_key"), HTTPClient: httpClient, OrderListsPerHour: lists,
			TimeZone: set["time_zone"], StartDate: c.StartDate,
			Budget: accounts.unasLedger(shop), Shop: accounts.unasState(shop)}))
	case "minicrm":
		conn, err = connector(minicrm.New(minicrm.Config{BaseURL: set["base_url"], SystemID: cred["system_id"], APIKey: cred["api_key"], CredentialsHint: hint("system_id", "api_key"),
			RequestsPerMinute: rps * 60, HTTPClient: httpClient, Owner: set["owner"],
			Limiter: accounts.Share("minicrm "+cred["system_id"], minicrm.NewLimiter(rps*60)),
			Quota:   accounts.miniCRMQuota(MiniCRMSystem(set["base_url"], cred["system_id"]), rps*60)}))
	default:
		err = fmt.Errorf("system %q is not supported", sys.System)
	}
	if err != nil {
		return nil, at(err) // every system's refusal names the file and the side
	}
	return conn, nil
}

// credentialsHint is what a connector adds to its error when the system refuses the
// credentials keys: the variables that hold them and where the connection names them, e.g.
// "check SELLSY_CLIENT_ID and SELLSY_CLIENT_SECRET (a.credentials of sellsy-mautic.yaml)".
// Only names: a value must never reach an error, a log or the worker's pause message.
func credentialsHint(c *config.Connection, side string, keys ...string) string {
	credentials := c.Side(side).Credentials
	vars := make([]string, 0, len(keys))
	for _, k := range keys {
		if v := credentials[k]; v != "" {
			vars = append(vars, v)
		}
	}
	if len(vars) == 0 {
		return ""
	}
	return fmt.Sprintf("check %s (%s.credentials of %s)", joinAnd(vars), side, c.File)
}

// joinAnd lists names as a sentence does: "A", "A and B", "A, B and C".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// connector turns a connector constructor's answer into a Connector, nil on an error (not a
// typed nil).
func connector[C connectors.Connector](c C, err error) (connectors.Connector, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UNASShop names a UNAS shop for its call budget, its login token and its bans: the API URL
// and a digest of the API key (the name is stored; the key must not be). The URL is the one
// the connector calls, however it is written: left out it is unas.DefaultBaseURL, and the
// scheme and host are lower-cased, a default port and a trailing "/" dropped, so that two
// connections on one shop never count their calls apart (UNAS bans the IP of a shop's
// caller past its hourly limit). Two API keys of one shop are still two budgets: the shop's
// id is only known from a login, and the budget is needed before it.
func UNASShop(baseURL, apiKey string) string {
	sum := sha256.Sum256([]byte(apiKey))
	return "unas " + serverURL(baseURL, unas.DefaultBaseURL) + " " + hex.EncodeToString(sum[:8])
}

// serverURL is base_url as one text per server (fallback when left out): see UNASShop. A URL
// that cannot be read is kept as written (the connector refuses it).
func serverURL(baseURL, fallback string) string {
	base := strings.TrimSpace(baseURL)
	if base == "" {
		base = fallback
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return strings.TrimRight(base, "/")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		u.Host = u.Hostname()
		if strings.Contains(u.Host, ":") { // an IPv6 address keeps its brackets
			u.Host = "[" + u.Host + "]"
		}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return strings.TrimRight(u.String(), "/")
}

func intSetting(s config.System, key string) (int, error) {
	v, ok := s.Settings[key]
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("settings.%s: %q is not a whole number of 0 or more", key, v)
	}
	return n, nil
}

func floatSetting(s config.System, key string) (float64, error) {
	v, ok := s.Settings[key]
	if !ok || v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("settings.%s: %q is not a positive number", key, v)
	}
	return f, nil
}

// linksContacts reports whether one side's contacts are synced with a link (to their company).
func linksContacts(c *config.Connection, side string) bool {
	for _, o := range c.Objects {
		object := o.AObject
		if side == "b" {
			object = o.BObject
		}
		if object == connectors.ObjectContact && len(o.Links) > 0 {
			return true
		}
	}
	return false
}

// mappedFields lists, per object of one side, the fields the connection maps, matches or
// filters on.
func mappedFields(c *config.Connection, side string) map[string][]string {
	out := map[string][]string{}
	for _, o := range c.Objects {
		object, names := o.AObject, []string{o.Match.A}
		if side == "b" {
			object, names = o.BObject, []string{o.Match.B}
		}
		for _, f := range o.Fields {
			if side == "b" {
				names = append(names, f.B)
			} else {
				names = append(names, f.A)
			}
		}
		for k := range o.Filter.Of(side) {
			names = append(names, k) // a gate is read too
		}
		out[object] = append(out[object], names...)
	}
	return out
}
