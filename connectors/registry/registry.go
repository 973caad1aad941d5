// Package registry builds the connector a connection file names, from its settings and the
// credentials held in the environment.
package registry

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/altior"
	"github.com/crmsync/crmsync/connectors/mautic"
	"github.com/crmsync/crmsync/connectors/minicrm"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/connectors/unas"
	"github.com/crmsync/crmsync/connectors/weavy"
)

// Open returns the connector for one side of a connection. side ("a" or "b") is used in
// error messages.
func Open(c *config.Connection, side string, httpClient *http.Client) (connectors.Connector, error) {
	sys := c.A
	if side == "b" {
		sys = c.B
	}
	at := func(err error) error { return fmt.Errorf("%s: %s: %w", c.File, side, err) }
	rps, err := floatSetting(sys, "requests_per_second")
	if err != nil {
		return nil, at(err)
	}
	switch sys.System {
	case "sellsy":
		id, err := sys.Secret("client_id")
		if err != nil {
			return nil, at(err)
		}
		secret, err := sys.Secret("client_secret")
		if err != nil {
			return nil, at(err)
		}
		return sellsy.New(sellsy.Config{
			APIURL:            sys.Settings["api_url"],
			TokenURL:          sys.Settings["token_url"],
			ClientID:          id,
			ClientSecret:      secret,
			RequestsPerSecond: rps,
			CompanyType:       sys.Settings["company_type"],
			HTTPClient:        httpClient,
			Fields:            mappedFields(c, side),
		})
	case "mautic":
		user, err := sys.Secret("username")
		if err != nil {
			return nil, at(err)
		}
		pass, err := sys.Secret("password")
		if err != nil {
			return nil, at(err)
		}
		return mautic.New(mautic.Config{
			BaseURL:           sys.Settings["base_url"],
			Username:          user,
			Password:          pass,
			RequestsPerSecond: rps,
			HTTPClient:        httpClient,
		})
	case "weavy":
		user, err := sys.Secret("username")
		if err != nil {
			return nil, at(err)
		}
		pass, err := sys.Secret("password")
		if err != nil {
			return nil, at(err)
		}
		return weavy.New(weavy.Config{
			BaseURL:           sys.Settings["base_url"],
			Project:           sys.Settings["project"],
			UserName:          user,
			Password:          pass,
			RequestsPerSecond: rps,
			HTTPClient:        httpClient,
		})
	case "altior":
		key, err := sys.Secret("api_key")
		if err != nil {
			return nil, at(err)
		}
		return altior.New(altior.Config{BaseURL: sys.Settings["base_url"], APIKey: key, RequestsPerSecond: rps, HTTPClient: httpClient,
			ReferenceUserEmail: sys.Settings["reference_user_email"], Establishment: sys.Settings["establishment"]})
	case "unas":
		key, err := sys.Secret("api_key")
		if err != nil {
			return nil, at(err)
		}
		return unas.New(unas.Config{BaseURL: sys.Settings["base_url"], APIKey: key, HTTPClient: httpClient})
	case "minicrm":
		id, err := sys.Secret("system_id")
		if err != nil {
			return nil, at(err)
		}
		key, err := sys.Secret("api_key")
		if err != nil {
			return nil, at(err)
		}
		return minicrm.New(minicrm.Config{BaseURL: sys.Settings["base_url"], SystemID: id, APIKey: key, RequestsPerMinute: rps * 60, HTTPClient: httpClient,
			Owner: sys.Settings["owner"]})
	}
	return nil, at(fmt.Errorf("system %q is not supported", sys.System))
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
