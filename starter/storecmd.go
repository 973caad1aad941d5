package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/crmsync/crmsync/store"
)

const storeUsage = `usage: crmsync store copy --to DSN [--from DSN]

copy copies the workers' store — the id maps with their snapshots, the cursors, the
quarantine, the quota uses, the links records wait for and the records' notes — into an empty
store (--to): the move from one worker's SQLite file to the PostgreSQL store of several
workers. --from defaults to the command's store (CRMSYNC_STORE_DSN, or crmsync.db under
CRMSYNC_DATA_DIR). Stop the workers first: a SQLite store a worker holds is refused, and what
a worker writes during the copy would be lost. The copy is one transaction: one that fails
leaves --to empty, to be run again; --to holding anything is refused.`

// storeCommand runs `crmsync store copy`.
func storeCommand(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || isHelp(args[0]) {
		if len(args) == 0 {
			return fmt.Errorf("%s", storeUsage)
		}
		return fmt.Errorf("%w\n%s", flag.ErrHelp, storeUsage)
	}
	if args[0] != "copy" {
		return fmt.Errorf("store: unknown subcommand %q (want copy)\n%s", args[0], storeUsage)
	}
	fs := flag.NewFlagSet("store copy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	to := fs.String("to", "", "the DSN of the empty store to copy into (postgres://… or sqlite:/path)")
	from := fs.String("from", "", "the DSN of the store to copy (default: the command's store)")
	rest, err := parseAnywhere(fs, args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		return fmt.Errorf("%w\n%s", err, storeUsage)
	case err != nil:
		return fmt.Errorf("store copy: %w\n%s", err, storeUsage)
	case len(rest) > 0:
		return fmt.Errorf("store copy: unexpected arguments %s: give the stores with --to and --from\n%s", strings.Join(rest, " "), storeUsage)
	case strings.TrimSpace(*to) == "":
		return fmt.Errorf("store copy: --to is missing: the DSN of the empty store to copy into\n%s", storeUsage)
	}
	if *from == "" {
		s, err := loadSettings()
		if err != nil {
			return err
		}
		*from = s.StoreDSN
	}
	if store.Name(*from) == store.Name(*to) {
		return fmt.Errorf("store copy: --from and --to name one store (%s)", store.Name(*to))
	}
	src, err := store.OpenToCopy(ctx, *from)
	if err != nil {
		return fmt.Errorf("store copy: --from: %w", err)
	}
	defer src.Close()
	dst, err := store.Open(ctx, *to)
	if err != nil {
		return fmt.Errorf("store copy: --to: %w", err)
	}
	defer dst.Close()
	copied, err := store.Copy(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("store copy: %w", err)
	}
	fmt.Fprintf(out, "copied %s from %s to %s\n", copied, store.Name(*from), store.Name(*to))
	fmt.Fprintln(out, "start the workers with CRMSYNC_STORE_DSN set to the new store")
	return nil
}
