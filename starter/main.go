// Command crmsync starts, watches and steers crmsync's workflows:
//
//	crmsync validate [--live] [FILE|FOLDER...] check connection files (default: the worker's), and live, both systems' fields
//	crmsync fields FILE|CONNECTION [OBJECT] both systems' fields of each object, with the file's mapping
//	crmsync start import|sync|pipelines CONNECTION
//	                                       start InitialImport (or its --dry-run), IncrementalSync or PipelineSync
//	crmsync pause|resume CONNECTION        pause or resume the connection's workflows (resume --allow-deletes)
//	crmsync resync CONNECTION [--objects contact,company] [--since 2026-01-31]
//	crmsync sync-now CONNECTION            run an incremental cycle and a pipeline scan at once
//	crmsync status [CONNECTION]            every connection at a glance, or one's progress per object
//	crmsync watch CONNECTION               a live progress display
//	crmsync quarantine CONNECTION [--retry] records refused, with their reasons; --retry runs them again
//	                                       (--forget OBJECT drops those of an object the file no longer has)
//	crmsync push CONNECTION --id ID        sync one record now (PushRecord)
//
// Every command has a plain Temporal CLI equivalent; see the README.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"

	"github.com/crmsync/crmsync/config"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "crmsync:", err)
		os.Exit(1)
	}
}

const usage = `usage: crmsync COMMAND [ARGS]

commands:
  validate [--live] [FILE|FOLDER...]   check connection files (none named: CRMSYNC_CONNECTIONS);
                                       --live also reads both systems' fields
  fields FILE|CONNECTION [OBJECT]      both systems' fields of each object, custom ones
                                       included, with types, options and the file's mapping
  start import|sync|pipelines CONNECTION [--wait] [--dry-run] [--no-import]
                                       start InitialImport, IncrementalSync or PipelineSync;
                                       import --dry-run prints what the import would do, writing
                                       nothing; sync starts once the import has completed
                                       (--no-import: without one, on purpose)
  pause CONNECTION [--reason TEXT]     pause the connection's workflows
  resume CONNECTION [--allow-deletes]  resume them (the sync not while the import runs: both
                                       would write the same records); --allow-deletes lets
                                       the deletions held by schedule.max_deletes go
  resync CONNECTION [--objects LIST] [--since DATE]
                                       read objects again (all, or since DATE) at the next cycle
  sync-now CONNECTION                  run an incremental cycle and a pipeline scan now
  status [CONNECTION] [--json]         every connection at a glance, or one's progress per
                                       object; --json: the at-a-glance line(s) as JSON
  watch CONNECTION [--interval 1s]     live progress; ends when the import completes (a sync's
                                       until interrupted), in failure when the workflow stopped
  quarantine CONNECTION [--limit N] [--retry] [--forget OBJECT]
                                       records refused, with their reasons; --retry first runs
                                       them through the sync again (RetryQuarantine); --forget
                                       drops the entries of an object the file no longer has
  push CONNECTION --id ID|--email E [--object contact] [--side b]
                                       sync one record now (the "send contact to Sellsy" action)
  sellsy call [--connection NAME] [--header 'NAME: VALUE']... METHOD PATH [BODY]
             | --v1 METHOD [PARAMS]    any authorised Sellsy API V2 / V1 call; --header adds a
                                       header of yours to a V2 call (X-Switch-User: staff:2)
  sellsy webhooks [--connection NAME] list | add URL EVENT... | remove ID
                                       the webhooks of the Sellsy account
  call [--connection NAME] SYSTEM METHOD PATH [BODY]
                                       any authorised call on automation, weavy, altior,
                                       minicrm or unas
  store copy --to DSN [--from DSN]     copy the workers' store into an empty one (SQLite to
                                       PostgreSQL for several workers); workers stopped

Flags may come before or after the arguments; COMMAND -h prints a command's usage.

settings (environment): CRMSYNC_TEMPORAL_ADDRESS (localhost:7233), CRMSYNC_NAMESPACE (default),
CRMSYNC_TASK_QUEUE (crmsync), CRMSYNC_CONNECTIONS (./connections), CRMSYNC_STORE_DSN /
CRMSYNC_DATA_DIR (./data), CRMSYNC_SELLSY_CONNECTION (sellsy's default --connection), and for a
Temporal server over TLS, as the worker reads them: CRMSYNC_TEMPORAL_TLS (true: the system's
roots), CRMSYNC_TEMPORAL_TLS_CA, CRMSYNC_TEMPORAL_TLS_CERT and CRMSYNC_TEMPORAL_TLS_KEY (mutual
TLS), CRMSYNC_TEMPORAL_TLS_SERVER_NAME, CRMSYNC_TEMPORAL_API_KEY (Temporal Cloud); validate,
fields, call, sellsy and push --email also read the credential variables the connection files name, and
status CONNECTION (a UNAS side's api_key)`

func run(ctx context.Context, args []string, out io.Writer) error {
	err := command(ctx, args, out)
	if errors.Is(err, flag.ErrHelp) {
		// -h is a question, not a mistake: the usage the command attached goes to out (a
		// flag set of its own printed its flags already), and the exit code is 0.
		msg := strings.TrimSpace(err.Error())
		if i := strings.Index(msg, flag.ErrHelp.Error()); i >= 0 {
			msg = strings.TrimSpace(msg[i+len(flag.ErrHelp.Error()):])
		}
		if msg != "" {
			fmt.Fprintln(out, msg)
		}
		return nil
	}
	var noNamespace *serviceerror.NamespaceNotFound
	if errors.As(err, &noNamespace) {
		// The server's words name the namespace, not the setting to correct.
		if s, serr := loadSettings(); serr == nil {
			return fmt.Errorf("%w (CRMSYNC_NAMESPACE=%q: the Temporal server at %s (CRMSYNC_TEMPORAL_ADDRESS) has no such namespace: set it to the worker's)", err, s.Namespace, s.TemporalAddress)
		}
	}
	return err
}

func command(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "validate":
		return validate(ctx, rest, out)
	case "fields":
		return fieldsCommand(ctx, rest, out)
	case "start":
		return start(ctx, rest, out)
	case "pause":
		return pause(ctx, rest, out)
	case "resume":
		return resume(ctx, rest, out)
	case "resync":
		return resync(ctx, rest, out)
	case "sync-now":
		return syncNow(ctx, rest, out)
	case "status":
		return status(ctx, rest, out)
	case "watch":
		return watch(ctx, rest, out)
	case "quarantine":
		return quarantine(ctx, rest, out)
	case "push":
		return push(ctx, rest, out)
	case "sellsy":
		return sellsyCommand(ctx, rest, out)
	case "call":
		return callCommand(ctx, rest, out)
	case "store":
		return storeCommand(ctx, rest, out)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && !isHelp(rest[0]) {
			// help COMMAND is COMMAND -h.
			if !slices.Contains(commands, rest[0]) {
				return fmt.Errorf("help: unknown command %q%s (commands: %s)", rest[0], config.DidYouMean(rest[0], commands), strings.Join(commands, ", "))
			}
			return command(ctx, []string{rest[0], "-h"}, out)
		}
		fmt.Fprintln(out, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q%s\n%s", cmd, config.DidYouMean(cmd, commands), usage)
}

// commands are the command words, for the one probably meant by a misspelt one.
var commands = []string{"validate", "fields", "start", "pause", "resume", "resync", "sync-now", "status", "watch", "quarantine", "push", "sellsy", "call", "store"}

// isHelp tells an argument that asks for a command's usage.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}
