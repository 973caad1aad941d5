package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	recordactions "github.com/crmsync/crmsync/actions/records"
	"github.com/crmsync/crmsync/config"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/registry"
)

const callUsage = `usage: crmsync call [--connection NAME] SYSTEM METHOD PATH [BODY]

Performs an authorised call on one system with the credentials of a connection file's side
for it (CRMSYNC_CONNECTIONS), through the connector's rate limiter and error classes, and
prints the HTTP status and the answer.
  SYSTEM  automation, weavy, altior, minicrm or unas (for Sellsy: crmsync sellsy call)
  METHOD  GET, POST, PUT, PATCH or DELETE (UNAS: POST only)
  PATH    relative to the API root the connection names ("/api/contacts?limit=5",
          "/v1/Dictionary/PROJ/customer", "/Api/R3/Category", UNAS "/getProduct")
  BODY    JSON (UNAS: XML, "<Params>…</Params>")
--connection may be left out when only one connection has a side on that system. Flags may
come before or after the arguments; "--" ends them (for a BODY that starts with '-')`

// callCommand implements `crmsync call`.
func callCommand(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("connection", "", "connection name")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, callUsage)
	}
	if len(pos) < 3 || len(pos) > 4 {
		return errors.New(callUsage)
	}
	system, err := systemNamed(pos[0])
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	s, err := loadSettings()
	if err != nil {
		return err
	}
	conns, err := loadConnections(s)
	if err != nil {
		return err
	}
	c, side, err := config.SideOn(conns, system, *name)
	if err != nil {
		hint := ""
		if *name == "" {
			hint = " with --connection"
		}
		return fmt.Errorf("%w%s (connections in %s)", err, hint, s.Connections)
	}
	accounts, closeStore := sharedBudget(ctx, s, c, os.Stderr)
	defer closeStore()
	conn, err := registry.OpenShared(c, side, nil, accounts)
	if err != nil {
		return err
	}
	caller, ok := conn.(connectors.Caller)
	if !ok {
		return fmt.Errorf("%s: this connector makes no arbitrary calls", pos[0])
	}
	var body []byte
	if len(pos) == 4 {
		body = []byte(pos[3])
	}
	status, resp, err := caller.Call(ctx, pos[1], pos[2], nil, body)
	if status != 0 {
		fmt.Fprintf(out, "HTTP %d\n", status)
		if perr := printJSON(out, resp); perr != nil && err == nil {
			return perr
		}
	}
	return err
}

// systemNamed reads SYSTEM: a prefix of the record activities in any case, or a system name.
func systemNamed(arg string) (string, error) {
	var known []string
	for system, prefix := range recordactions.Prefixes {
		if system == "sellsy" {
			continue
		}
		if strings.EqualFold(arg, prefix) || strings.EqualFold(arg, system) {
			return system, nil
		}
		known = append(known, strings.ToLower(prefix))
	}
	if strings.EqualFold(arg, "sellsy") {
		return "", errors.New("for Sellsy use: crmsync sellsy call METHOD PATH [BODY]")
	}
	sort.Strings(known)
	return "", fmt.Errorf("unknown system %q (one of %s)", arg, strings.Join(known, ", "))
}
