// Package sandbox runs the simulated systems side by side with seeded data, for `make demo`,
// the end-to-end tests and the benchmarks.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	altiorsim "github.com/crmsync/crmsync/connectors/altior/sim"
	mauticsim "github.com/crmsync/crmsync/connectors/mautic/sim"
	minicrmsim "github.com/crmsync/crmsync/connectors/minicrm/sim"
	sellsysim "github.com/crmsync/crmsync/connectors/sellsy/sim"
	unassim "github.com/crmsync/crmsync/connectors/unas/sim"
	weavysim "github.com/crmsync/crmsync/connectors/weavy/sim"
)

// Options say where each simulator listens and what it holds at start.
type Options struct {
	// SellsyAddr and MauticAddr are listen addresses; "127.0.0.1:0" picks a free port.
	SellsyAddr string
	MauticAddr string

	// SellsyFirst and SellsyContacts seed Sellsy with people SellsyFirst… (and their
	// companies); MauticFirst and MauticContacts do the same for Automation. People with the
	// same index are the same person (same e-mail) on both sides.
	SellsyFirst, SellsyContacts int
	MauticFirst, MauticContacts int

	SellsyClientID, SellsyClientSecret string
	// SellsyRequestsPerSecond is the simulated quota: 0 keeps Sellsy's default (5 a second),
	// a negative value lifts it (benchmarks).
	SellsyRequestsPerSecond int
	// SellsyRequestsPerMinute and SellsyRequestsPerDay are the simulated minute and day
	// windows: 0 leaves the minute unlimited (Sellsy was observed at about 149) and the day
	// at Sellsy's documented 432,000 (unlimited too when the second window is lifted); a
	// negative value lifts them.
	SellsyRequestsPerMinute, SellsyRequestsPerDay int
	// SellsyScopes, when set, are the only OAuth scopes of the Sellsy API client. The token
	// response names them (a simulator extension) unless SellsyScopesNotInToken is set, as
	// with the real Sellsy, where only probing tells what is granted.
	SellsyScopes           []string
	SellsyScopesNotInToken bool
	SellsyTokenTTL         time.Duration

	MauticUsername, MauticPassword string
	// MauticTimezone is the API user's timezone (an IANA name), in which Automation shows
	// dates; where[] filters still compare in UTC. Empty: UTC.
	MauticTimezone string
	// MauticBatchMax is Automation's api_batch_max_limit, which an administrator may lower:
	// a batch of more records is refused whole, as Mautic does. 0: Mautic's default, 200.
	MauticBatchMax int

	// Weavy is started when WeavyAddr is set: customers and contacts for people
	// WeavyFirst…, entrants (marketing leads) for people WeavyEntrantsFirst….
	WeavyAddr                         string
	WeavyFirst, WeavyContacts         int
	WeavyEntrantsFirst, WeavyEntrants int
	WeavyUsername, WeavyPassword      string
	WeavyProject                      string
	WeavySelectOrder                  string // weavysim.OrderInserted (default) or OrderModified

	// Altior, UNAS and MiniCRM are started when their address is set.
	AltiorAddr, AltiorAPIKey       string
	AltiorTiersFirst, AltiorTiers  int // people whose companies become tiers (with a contact each)
	UNASAddr, UNASAPIKey           string
	UNASOrdersFirst, UNASOrders    int // orders of these people, spread over the last 30 days
	MiniCRMAddr                    string
	MiniCRMSystemID, MiniCRMAPIKey string
	// MiniCRMRequestsPerMinute is the simulated limit: 0 keeps MiniCRM\'s 60, negative lifts it.
	MiniCRMRequestsPerMinute int
}

// Sandbox is a running set of simulators.
type Sandbox struct {
	Sellsy  *sellsysim.Server
	Mautic  *mauticsim.Server
	Weavy   *weavysim.Server   // nil unless Options.WeavyAddr is set
	Altior  *altiorsim.Server  // nil unless Options.AltiorAddr is set
	UNAS    *unassim.Server    // nil unless Options.UNASAddr is set
	MiniCRM *minicrmsim.Server // nil unless Options.MiniCRMAddr is set
	// SellsyURL is the Sellsy root (token endpoint at /oauth2/access-tokens, API at /v2);
	// MauticURL is the Automation instance root (API at /api).
	SellsyURL, MauticURL string
	// WeavyURL is the weavy API root (endpoints under /v1).
	WeavyURL string
	// AltiorURL, UNASURL and MiniCRMURL are the roots of those simulators.
	AltiorURL, UNASURL, MiniCRMURL string

	servers []*http.Server
}

// Start seeds both simulators and serves them until Close.
func Start(o Options) (*Sandbox, error) {
	if o.SellsyAddr == "" {
		o.SellsyAddr = "127.0.0.1:0"
	}
	if o.MauticAddr == "" {
		o.MauticAddr = "127.0.0.1:0"
	}
	mauticLoc, err := time.LoadLocation(o.MauticTimezone) // "" is UTC
	if err != nil {
		return nil, fmt.Errorf("sandbox: mautic: timezone %q: %w", o.MauticTimezone, err)
	}
	s := &Sandbox{
		Sellsy: sellsysim.New(sellsysim.Options{
			ClientID: o.SellsyClientID, ClientSecret: o.SellsyClientSecret,
			TokenTTL: o.SellsyTokenTTL, RequestsPerSecond: o.SellsyRequestsPerSecond,
			RequestsPerMinute: o.SellsyRequestsPerMinute, RequestsPerDay: o.SellsyRequestsPerDay, Seed: 1, Scopes: o.SellsyScopes,
			ScopesNotInToken: o.SellsyScopesNotInToken,
		}),
		Mautic: mauticsim.New(mauticsim.Options{Username: o.MauticUsername, Password: o.MauticPassword, Location: mauticLoc, BatchMax: o.MauticBatchMax, Seed: 2}),
	}
	if o.SellsyContacts > 0 {
		s.Sellsy.SeedPeople(o.SellsyFirst, o.SellsyContacts)
	}
	if o.MauticContacts > 0 {
		s.Mautic.SeedPeople(o.MauticFirst, o.MauticContacts)
	}
	if s.SellsyURL, err = s.serve(o.SellsyAddr, s.Sellsy); err != nil {
		return nil, fmt.Errorf("sandbox: sellsy: %w", err)
	}
	if s.MauticURL, err = s.serve(o.MauticAddr, s.Mautic); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sandbox: mautic: %w", err)
	}
	if o.WeavyAddr != "" {
		if o.WeavySelectOrder != "" && o.WeavySelectOrder != weavysim.OrderInserted && o.WeavySelectOrder != weavysim.OrderModified {
			_ = s.Close()
			return nil, fmt.Errorf("sandbox: weavy: select order %q is neither %q nor %q", o.WeavySelectOrder, weavysim.OrderInserted, weavysim.OrderModified)
		}
		s.Weavy = weavysim.New(weavysim.Options{UserName: o.WeavyUsername, Password: o.WeavyPassword, Project: o.WeavyProject, SelectOrder: o.WeavySelectOrder, Seed: 3})
		if o.WeavyContacts > 0 {
			s.Weavy.SeedPeople(o.WeavyFirst, o.WeavyContacts)
		}
		if o.WeavyEntrants > 0 {
			s.Weavy.SeedEntrants(o.WeavyEntrantsFirst, o.WeavyEntrants)
		}
		if s.WeavyURL, err = s.serve(o.WeavyAddr, s.Weavy); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("sandbox: weavy: %w", err)
		}
	}
	if o.AltiorAddr != "" {
		s.Altior = altiorsim.New(altiorsim.Options{APIKey: o.AltiorAPIKey, Seed: 4})
		if o.AltiorTiers > 0 {
			s.Altior.SeedTiers(o.AltiorTiersFirst, o.AltiorTiers)
		}
		if s.AltiorURL, err = s.serve(o.AltiorAddr, s.Altior); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("sandbox: altior: %w", err)
		}
	}
	if o.UNASAddr != "" {
		s.UNAS = unassim.New(unassim.Options{APIKey: o.UNASAPIKey, Seed: 5})
		// Orders spread over the last 30 days, so that a start date splits them.
		from, step := time.Now().AddDate(0, 0, -30), 30*24*time.Hour/time.Duration(max(o.UNASOrders, 1))
		for k := 0; k < o.UNASOrders; k++ {
			s.UNAS.SeedOrders(o.UNASOrdersFirst+k, 1, from.Add(time.Duration(k)*step))
		}
		if s.UNASURL, err = s.serve(o.UNASAddr, s.UNAS); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("sandbox: unas: %w", err)
		}
	}
	if o.MiniCRMAddr != "" {
		s.MiniCRM = minicrmsim.New(minicrmsim.Options{SystemID: o.MiniCRMSystemID, APIKey: o.MiniCRMAPIKey, RequestsPerMinute: o.MiniCRMRequestsPerMinute, Seed: 6})
		if s.MiniCRMURL, err = s.serve(o.MiniCRMAddr, s.MiniCRM); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("sandbox: minicrm: %w", err)
		}
	}
	return s, nil
}

func (s *Sandbox) serve(addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops every simulator.
func (s *Sandbox) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
