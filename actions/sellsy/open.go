package sellsyactions

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/registry"
	"github.com/crmsync/crmsync/connectors/sellsy"
)

// OpenClient opens the Sellsy side of the connection named name (or, when name is empty, of
// the only connection with a Sellsy side) with the credentials of the environment, as the
// registry does, and applies the side's optional API V1 tokens: credentials
// v1_consumer_token, v1_consumer_secret, v1_user_token, v1_user_secret and setting v1_url.
// accounts (nil: none) shares the rate limiter of the Sellsy account with the worker's
// connections on it.
//
// With no name, several connections on one Sellsy account (the same URLs and the same
// credentials, as `make demo`'s two pairs) are one choice, not an ambiguity: the first by name
// serves it.
func OpenClient(conns []*config.Connection, name string, accounts *registry.Accounts) (*sellsy.Client, error) {
	client, _, err := openNamed(conns, name, accounts)
	return client, err
}

// openNamed is OpenClient that also returns the connection chosen.
func openNamed(conns []*config.Connection, name string, accounts *registry.Accounts) (*sellsy.Client, *config.Connection, error) {
	if name == "" {
		name = oneAccount(conns)
	}
	c, side, err := config.SideOn(conns, sellsy.System, name)
	if err != nil {
		return nil, nil, fmt.Errorf("sellsy: %w", err)
	}
	client, err := openSide(c, side, accounts)
	return client, c, err
}

// openSide opens side (a or b) of c, a Sellsy side, with its API V1 tokens.
func openSide(c *config.Connection, side string, accounts *registry.Accounts) (*sellsy.Client, error) {
	conn, err := registry.OpenShared(c, side, nil, accounts)
	if err != nil {
		return nil, err
	}
	client, ok := conn.(*sellsy.Client)
	if !ok {
		return nil, fmt.Errorf("sellsy: connection %s side %s is not a Sellsy connector", c.Name, side)
	}
	sys := c.Side(side)
	v := sellsy.V1Credentials{URL: sys.Settings["v1_url"]}
	for key, dst := range map[string]*string{"v1_consumer_token": &v.ConsumerToken, "v1_consumer_secret": &v.ConsumerSecret,
		"v1_user_token": &v.UserToken, "v1_user_secret": &v.UserSecret} {
		if _, set := sys.Credentials[key]; !set {
			continue
		}
		if *dst, err = sys.Secret(key); err != nil {
			return nil, fmt.Errorf("%s: %w", c.File, err)
		}
	}
	client.SetV1(v)
	return client, nil
}

// Configs gives a connection's file as it is now: activities.Connections, which reads a
// saved file again.
type Configs interface {
	Config(name string) (*config.Connection, error)
}

// Source serves the Sellsy client of the worker's Sellsy activities. It is built again when
// its connection's file is saved (a rotated credential, a new URL), as the sync's connectors
// are; while the file does not validate, the activities fail with its mistake, as the sync's do.
type Source struct {
	configs  Configs
	name     string
	accounts *registry.Accounts

	mu     sync.Mutex
	built  *config.Connection // the version of the file client was built from
	client *sellsy.Client
}

// NewSource opens the client as OpenClient does, then keeps it in step with the chosen
// connection's file as configs reads it.
func NewSource(conns []*config.Connection, name string, configs Configs, accounts *registry.Accounts) (*Source, error) {
	client, c, err := openNamed(conns, name, accounts)
	if err != nil {
		return nil, err
	}
	return &Source{configs: configs, name: c.Name, accounts: accounts, built: c, client: client}, nil
}

// Client returns the client for the connection's file as it is now. A file it cannot build
// the client from — one that does not validate, one without a Sellsy side, a credential whose
// variable is unset or empty — is a configuration error (connectors.KindConfig): the
// activities fail with it, not retried, as the sync pauses on it; a retry would read the same
// file and environment.
func (s *Source) Client() (*sellsy.Client, error) {
	c, err := s.configs.Config(s.name)
	if err != nil {
		var classified *connectors.Error
		if errors.As(err, &classified) {
			return nil, err
		}
		return nil, unopenable("", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c == s.built {
		return s.client, nil
	}
	client, _, err := openNamed([]*config.Connection{c}, c.Name, s.accounts)
	if err != nil {
		return nil, unopenable(c.File, err)
	}
	s.built, s.client = c, client
	return client, nil
}

// unopenable is the configuration error of a connection file the client cannot be built
// from, its message starting with the file (once: the registry's errors name it already).
func unopenable(file string, err error) error {
	msg := err.Error()
	if file != "" && !strings.HasPrefix(msg, file+":") {
		msg = file + ": " + msg
	}
	return &connectors.Error{Kind: connectors.KindConfig, System: sellsy.System, Op: "client", Message: msg}
}

// accountSettings and accountCredentials say which Sellsy account a side uses; the other
// settings (rate, company type) and credentials (webhook token) may differ on one account.
var (
	accountSettings    = []string{"api_url", "token_url", "v1_url"}
	accountCredentials = []string{"client_id", "client_secret", "v1_consumer_token", "v1_consumer_secret", "v1_user_token", "v1_user_secret"}
)

func sameAccount(x, y config.System) bool {
	for _, k := range accountSettings {
		if x.Settings[k] != y.Settings[k] {
			return false
		}
	}
	for _, k := range accountCredentials {
		if x.Credentials[k] != y.Credentials[k] {
			return false
		}
	}
	return true
}

// oneAccount returns the first name of the connections with a Sellsy side when there are
// several and their sides are one account, and "" otherwise.
func oneAccount(conns []*config.Connection) string {
	var first string
	var account *config.System
	for _, c := range conns {
		for _, sys := range []config.System{c.A, c.B} {
			switch {
			case sys.System != sellsy.System:
			case account == nil:
				first, account = c.Name, &sys
			case !sameAccount(sys, *account):
				return ""
			case c.Name < first:
				first = c.Name
			}
		}
	}
	return first
}
