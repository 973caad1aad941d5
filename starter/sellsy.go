package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	sellsyactions "github.com/crmsync/crmsync/actions/sellsy"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors/sellsy"
	"github.com/crmsync/crmsync/webhooks"
)

const sellsyUsage = `usage: crmsync sellsy call [--connection NAME] [--header 'NAME: VALUE']... METHOD PATH [BODY]
       crmsync sellsy call [--connection NAME] --v1 METHOD [PARAMS]
       crmsync sellsy webhooks [--connection NAME] list | add URL EVENT... | remove ID

Performs an authorised Sellsy call with the credentials of a connection file's Sellsy side
(CRMSYNC_CONNECTIONS) and prints the HTTP status and the JSON answer.
  API V2: METHOD is GET, POST, PUT, PATCH or DELETE; PATH is relative to the API URL
          ("/companies/12", "/staffs?limit=5"); BODY is JSON. --header adds a request header
          of yours, as many times as needed ('X-Switch-User: staff:2'); the authorisation is
          crmsync's, so Authorization, Accept and Content-Type are refused.
  API V1: METHOD is an RPC method ("Client.getList"); PARAMS is a JSON object. The V1 tokens
          come from the side's credentials v1_consumer_token, v1_consumer_secret,
          v1_user_token and v1_user_secret (settings.v1_url for the endpoint); without them
          the V2 access token is sent (it needs the api-v1 scope).
  webhooks add: URL is the receiver's …/webhooks/<connection>/sellsy/<token> (or any other
          endpoint); one the receiver would answer 404 (no such connection, no
          credentials.webhook_token, another token) is refused.
--connection defaults to CRMSYNC_SELLSY_CONNECTION, the connection whose account the worker's
Sellsy.* activities use, and may be left out when only one connection has a Sellsy side. Flags
may come before or after the arguments; "--" ends them (for a BODY that starts with '-')`

// sellsyCommand implements `crmsync sellsy call` and `crmsync sellsy webhooks`.
func sellsyCommand(ctx context.Context, args []string, out io.Writer) error {
	word, args := commandWord(args, "connection", "header")
	if word == "webhooks" {
		return sellsyWebhooks(ctx, args, out)
	}
	if isHelp(word) || (word == "" && slices.ContainsFunc(args, isHelp)) {
		return fmt.Errorf("%w\n%s", flag.ErrHelp, sellsyUsage)
	}
	if word == "" {
		return errors.New(sellsyUsage)
	}
	if word != "call" {
		words := []string{"call", "webhooks"}
		return fmt.Errorf("sellsy: %q is not call or webhooks%s\n%s", word, config.DidYouMean(word, words), sellsyUsage)
	}
	s, err := loadSettings()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("sellsy call", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("connection", s.SellsyConnection, "connection name")
	v1 := fs.Bool("v1", false, "API V1 (RPC) call")
	var headers http.Header
	fs.Func("header", "a request header, 'NAME: VALUE' (API V2)", func(h string) error {
		name, value, ok := strings.Cut(h, ":")
		if name = strings.TrimSpace(name); !ok || name == "" {
			return fmt.Errorf("--header %q: write it NAME: VALUE", h)
		}
		if headers == nil {
			headers = http.Header{}
		}
		headers.Add(name, strings.TrimSpace(value))
		return nil
	})
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, sellsyUsage)
	}
	if *v1 && headers != nil {
		return errors.New("sellsy: --header is for API V2 calls; API V1 is called with its own authorisation")
	}
	if (*v1 && (len(pos) < 1 || len(pos) > 2)) || (!*v1 && (len(pos) < 2 || len(pos) > 3)) {
		return errors.New(sellsyUsage)
	}
	client, err := openSellsy(s, *name)
	if err != nil {
		return err
	}
	if *v1 {
		var params any = map[string]any{}
		if len(pos) == 2 {
			if err := json.Unmarshal([]byte(pos[1]), &params); err != nil {
				return fmt.Errorf("sellsy: PARAMS is not JSON: %w", err)
			}
		}
		resp, err := client.CallV1(ctx, pos[0], params)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "status: success")
		return printJSON(out, resp)
	}
	var body []byte
	if len(pos) == 3 {
		body = []byte(pos[2])
		if !json.Valid(body) {
			return errors.New("sellsy: BODY is not JSON")
		}
	}
	status, resp, err := client.CallHeaders(ctx, pos[0], pos[1], nil, headers, body)
	if status != 0 {
		fmt.Fprintf(out, "HTTP %d\n", status)
		if perr := printJSON(out, resp); perr != nil && err == nil {
			return perr
		}
	}
	return err
}

func printJSON(out io.Writer, b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		_, _ = out.Write(append(b, '\n'))
		return nil
	}
	buf.WriteByte('\n')
	_, err := out.Write(buf.Bytes())
	return err
}

// openSellsy opens the Sellsy side of the named connection (or of the only connection with
// one), with its optional V1 credentials.
func openSellsy(s settings, name string) (*sellsy.Client, error) {
	conns, err := loadConnections(s)
	if err != nil {
		return nil, err
	}
	c, err := sellsyactions.OpenClient(conns, name, nil)
	if err != nil {
		from := ""
		if name != "" && name == s.SellsyConnection {
			from = ", connection named by CRMSYNC_SELLSY_CONNECTION"
		}
		return nil, fmt.Errorf("%w (connections in %s%s)", err, s.Connections, from)
	}
	return c, nil
}

// sellsyWebhooks lists, registers and removes the webhooks of a connection's Sellsy account:
// `add` takes the URL of the worker's receiver (…/webhooks/<connection>/sellsy/<token>) and
// event ids such as opportunity.updated or client.created.
func sellsyWebhooks(ctx context.Context, args []string, out io.Writer) error {
	s, err := loadSettings()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("sellsy webhooks", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("connection", s.SellsyConnection, "connection name")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, sellsyUsage)
	}
	if len(pos) == 0 {
		return errors.New(sellsyUsage)
	}
	// The words first: a misspelt one is named before the account is opened.
	if err := checkWebhooksArgs(pos); err != nil {
		return fmt.Errorf("%w\n%s", err, sellsyUsage)
	}
	client, err := openSellsy(s, *name)
	if err != nil {
		return err
	}
	switch {
	case pos[0] == "list":
		hooks, err := client.Webhooks(ctx)
		if err != nil {
			return err
		}
		if len(hooks) == 0 {
			fmt.Fprintln(out, "no webhook")
		}
		for _, h := range hooks {
			state := "enabled"
			if !h.IsEnabled {
				state = "disabled"
			}
			fmt.Fprintf(out, "%d  %s  %s  %s\n", h.ID, state, h.Endpoint, strings.Join(h.Events, ", "))
		}
		return nil
	case pos[0] == "add":
		conns, err := loadConnections(s)
		if err != nil {
			return err
		}
		if err := checkReceiverURL(conns, s.Connections, pos[1]); err != nil {
			return err
		}
		id, err := client.CreateWebhook(ctx, pos[1], pos[2:])
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "webhook %d added\n", id)
		return nil
	case pos[0] == "remove":
		id, err := strconv.Atoi(pos[1])
		if err != nil {
			return fmt.Errorf("sellsy webhooks remove: %q is not a webhook id", pos[1])
		}
		if err := client.DeleteWebhook(ctx, id); err != nil {
			return fmt.Errorf("sellsy webhooks remove %d: %w", id, err) // Sellsy's answer names /webhooks/{id} only
		}
		fmt.Fprintf(out, "webhook %d removed\n", id)
		return nil
	}
	return errors.New(sellsyUsage)
}

// checkWebhooksArgs names what is wrong with the arguments of sellsy webhooks: a word other
// than list, add or remove, or too many or too few arguments for it.
func checkWebhooksArgs(pos []string) error {
	words := []string{"list", "add", "remove"}
	switch word := pos[0]; {
	case !slices.Contains(words, word):
		return fmt.Errorf("sellsy webhooks: %q is not list, add or remove%s", word, config.DidYouMean(word, words))
	case word == "list" && len(pos) > 1:
		return fmt.Errorf("sellsy webhooks list: it takes no argument, got %s", strings.Join(pos[1:], " "))
	case word == "add" && len(pos) < 3:
		return errors.New("sellsy webhooks add: give the URL and at least one event (opportunity.updated, client.created, …)")
	case word == "remove" && len(pos) != 2:
		return fmt.Errorf("sellsy webhooks remove: give one webhook id (`crmsync sellsy webhooks list` shows them), got %d arguments", len(pos)-1)
	}
	return nil
}

// checkReceiverURL refuses a URL of crmsync's receiver (…/webhooks/<connection>/sellsy/<token>,
// behind any prefix) that the receiver would answer 404: a connection it does not have (in
// dir), one without a Sellsy side or without credentials.webhook_token, or a token other than
// that credential's value, when this environment holds it. Registered, such a URL fails every
// delivery, and Sellsy disables a webhook that keeps failing. Another URL is not the
// receiver's: it is left alone. The messages never show the token.
func checkReceiverURL(conns []*config.Connection, dir, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return nil // Sellsy says what is wrong with the endpoint
	}
	i := strings.LastIndex(u.Path, "/webhooks/")
	if i < 0 {
		return nil
	}
	parts := strings.Split(u.Path[i+len("/webhooks/"):], "/")
	if len(parts) < 2 || parts[1] != "sellsy" {
		return nil
	}
	const refused = "sellsy webhooks add: the receiver would answer 404 to every delivery to this URL: "
	if len(parts) != 3 || parts[2] == "" {
		return errors.New(refused + "it must end with /webhooks/<connection>/sellsy/<token>, nothing after the token")
	}
	name := parts[0]
	i = slices.IndexFunc(conns, func(c *config.Connection) bool { return c.Name == name })
	if i < 0 {
		return fmt.Errorf("%sthere is no connection %q in %s", refused, name, dir)
	}
	c := conns[i]
	var sys *config.System
	for _, side := range []*config.System{&c.A, &c.B} {
		if side.System == sellsy.System {
			sys = side
		}
	}
	if sys == nil {
		return fmt.Errorf("%sconnection %q (%s) has no Sellsy side", refused, name, c.File)
	}
	env, ok := sys.Credentials[webhooks.CredWebhookToken]
	if !ok {
		return fmt.Errorf("%sthe Sellsy side of connection %q (%s) names no credentials.%s (the variable that holds the URL's token)", refused, name, c.File, webhooks.CredWebhookToken)
	}
	token, err := sys.Secret(webhooks.CredWebhookToken)
	if err != nil {
		return nil // not in this environment: the worker's may hold it
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(parts[2])) != 1 {
		return fmt.Errorf("%sits token is not the value of %s (credentials.%s of connection %q, %s)", refused, env, webhooks.CredWebhookToken, name, c.File)
	}
	return nil
}
