package sellsyactions

import (
	"fmt"

	"github.com/crmsync/crmsync/config"
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
	if name == "" {
		name = oneAccount(conns)
	}
	c, side, err := config.SideOn(conns, sellsy.System, name)
	if err != nil {
		return nil, fmt.Errorf("sellsy: %w", err)
	}
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
