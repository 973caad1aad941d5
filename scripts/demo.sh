#!/usr/bin/env bash
# make demo: the Temporal dev server and its UI, the sandbox (the simulated systems with seeded
# data), the worker, and the example connections: Sellsy ⇄ Automation's import followed by its
# incremental sync, then Sellsy ⇄ Altior and UNAS → MiniCRM with their stage propagation
# (PipelineSync). Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_DIR=${DEMO_DIR:-$PWD/.demo}
TEMPORAL=${TEMPORAL:-temporal}
CONN=sellsy-mautic
mkdir -p "$DEMO_DIR"

# The demo runs on the dev server on 127.0.0.1:7233, a store in $DEMO_DIR and the default
# task queue, whatever the shell holds: a CRMSYNC_* or TEMPORAL_* variable exported for
# production (its Temporal, its store) would point the demo's worker, its commands and the
# terminations below at production, where a connection may bear an example's name.
for v in $(compgen -v CRMSYNC_) $(compgen -v TEMPORAL_); do unset "$v"; done
export CRMSYNC_TEMPORAL_ADDRESS=127.0.0.1:7233 CRMSYNC_NAMESPACE=default CRMSYNC_TASK_QUEUE=crmsync
export TEMPORAL_ADDRESS=$CRMSYNC_TEMPORAL_ADDRESS TEMPORAL_NAMESPACE=$CRMSYNC_NAMESPACE

export SELLSY_CLIENT_ID=crmsync-demo SELLSY_CLIENT_SECRET=demo-secret
export MAUTIC_USERNAME=admin MAUTIC_PASSWORD=demo-password
export ALTIOR_API_KEY=altior-sim-key UNAS_API_KEY=unas-demo-key
export MINICRM_SYSTEM_ID=12345 MINICRM_API_KEY=minicrm-demo-key
EXAMPLES=(sellsy-altior unas-minicrm)
# Whole paths: the commands the demo suggests work from any folder.
export CRMSYNC_CONNECTIONS=$PWD/config/examples/sellsy-mautic.yaml,$PWD/config/examples/sellsy-altior.yaml,$PWD/config/examples/unas-minicrm.yaml
export CRMSYNC_DATA_DIR=$DEMO_DIR

pids=()
# Each program runs in a process group of its own (spawn), which cleanup ends whole: a shell
# started in the background keeps the programs it started when only the shell is killed.
cleanup() {
  trap - INT TERM EXIT
  echo; echo "stopping…"
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# spawn CMD… starts CMD in the background, in a process group of its own (job control on for
# that one command only), its input closed; cleanup ends the group.
spawn() {
  set -m
  "$@" </dev/null &
  pids+=($!)
  set +m
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# await PID LOG WHAT CHECK… runs CHECK every half second until it succeeds. A program PID that
# exits first (a port in use, a setting refused, a binary missing) stops the demo with its last
# words from LOG: a port answered by another program, or an import no worker of the demo runs,
# would leave it waiting for ever.
await() {
  local pid=$1 log=$2 what=$3
  shift 3
  for _ in $(seq 1 240); do
    "$@" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$(basename "$log" .log) stopped as it started:"; tail -n 5 "$log"; exit 1
    fi
    sleep 0.5
  done
  echo "$(basename "$log" .log) did not $what within 2 minutes (see $log)"; exit 1
}
# The demo's own ports: the sandbox's systems, the worker's receiver and its metrics.
DEMO_PORTS=(18081 18082 18084 18085 18086 18090 19090)
# ports_in_use PORT… prints those of the ports that answer, on one line.
ports_in_use() { local p busy=(); for p in "$@"; do if port_open "$p"; then busy+=("$p"); fi; done; echo "${busy[*]}"; }
# started PID LOG LINE waits until the program PID has written LINE to LOG.
started() { await "$1" "$2" start grep -qsF "$3" "$2"; }
# listening PID LOG PORT waits until the program PID answers on PORT.
listening() { await "$1" "$2" "answer on port $3" port_open "$3"; }

# From a fresh clone, make demo builds these first.
for b in sandbox crmsync-worker crmsync; do
  [ -x "bin/$b" ] || { echo "bin/$b is missing: run make demo, which builds it"; exit 1; }
done

# dev_server ADDRESS says whether the Temporal server at ADDRESS is a dev server (SQLite), the
# only kind the demo may use: docker-compose's, published on the same port, runs
# deploy/connections' sellsy-mautic on the same task queue, and the demo would terminate that
# connection's workflows and hand its worker the demo's tasks.
dev_server() {
  "$TEMPORAL" operator cluster describe --address "$1" -o json 2>/dev/null | grep -q '"persistenceStore": *"sqlite"'
}

# A demo port in use is most likely another make demo: its store and its dev server's history
# must not be deleted under it, so this is checked before anything is.
busy=$(ports_in_use "${DEMO_PORTS[@]}")
if [ -n "$busy" ]; then
  echo "port(s) $busy already in use: another make demo runs (stop it with Ctrl-C in its terminal,"
  echo "or kill -TERM -- -<its process group>), or another program holds them; nothing was changed"
  exit 1
fi
# The simulators start empty each time: so does the store (and, below, a dev server started here).
rm -f "$DEMO_DIR"/crmsync.db*

temporal_pid=
if port_open 7233; then
  if ! dev_server 127.0.0.1:7233; then
    echo "the Temporal server on 127.0.0.1:7233 is not a dev server (docker-compose's?), or $TEMPORAL cannot tell:"
    echo "the demo would terminate and run its connections' workflows there; stop that server first"
    exit 1
  fi
  echo "a Temporal dev server already answers on :7233; using it"
else
  rm -f "$DEMO_DIR"/temporal.db*
  spawn "$TEMPORAL" server start-dev --ip 127.0.0.1 --ui-port 8233 --db-filename "$DEMO_DIR/temporal.db" \
    --dynamic-config-value matching.numTaskqueueReadPartitions=1 \
    --dynamic-config-value matching.numTaskqueueWritePartitions=1 \
    --log-level warn >"$DEMO_DIR/temporal.log" 2>&1
  temporal_pid=$!
fi
spawn ./bin/sandbox -sellsy-addr 127.0.0.1:18081 -mautic-addr 127.0.0.1:18082 -weavy-addr "" \
  -sellsy-contacts 6000 -mautic-first 4000 -mautic-contacts 4000 -sellsy-rps 200 -unas-orders 60 \
  -client-id "$SELLSY_CLIENT_ID" -client-secret "$SELLSY_CLIENT_SECRET" \
  -mautic-user "$MAUTIC_USERNAME" -mautic-password "$MAUTIC_PASSWORD" >"$DEMO_DIR/sandbox.log" 2>&1
started $! "$DEMO_DIR/sandbox.log" "admin: "
if [ -n "$temporal_pid" ]; then listening "$temporal_pid" "$DEMO_DIR/temporal.log" 7233; fi

CRMSYNC_WEBHOOK_ADDR=127.0.0.1:18090 CRMSYNC_METRICS_ADDR=127.0.0.1:19090 \
  spawn ./bin/crmsync-worker >"$DEMO_DIR/worker.log" 2>&1
started $! "$DEMO_DIR/worker.log" "crmsync worker started"

cat <<MSG

crmsync demo is running.
  Temporal web UI   http://localhost:8233   (workflows ${CONN}/initial-import and ${CONN}/incremental-sync)
  Sellsy sandbox    http://127.0.0.1:18081  (GET /_sim/stats, /_sim/dump?object=contacts)
  Automation sandbox http://127.0.0.1:18082 (GET /_sim/stats, /_sim/dump?object=contacts)
  Altior, UNAS, MiniCRM sandboxes on :18084, :18085, :18086
  Sellsy ⇄ Altior and UNAS → MiniCRM start after the first import: their imports, syncs and
  pipeline syncs (sellsy-altior/pipeline-sync, unas-minicrm/pipeline-sync) show in the UI too;
  MiniCRM allows 60 requests a minute, so its import takes a while — watch it wait.
  worker            http://127.0.0.1:18090/healthz, Prometheus metrics http://127.0.0.1:19090/metrics
  logs              $DEMO_DIR/*.log

Try, in another terminal (same environment:
  export CRMSYNC_DATA_DIR=$DEMO_DIR CRMSYNC_CONNECTIONS=$CRMSYNC_CONNECTIONS \\
    CRMSYNC_TEMPORAL_ADDRESS=$CRMSYNC_TEMPORAL_ADDRESS TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS; unset CRMSYNC_STORE_DSN
and, for validate --live, call, sellsy and the UNAS line of status unas-minicrm, the sandbox's credentials:
  export SELLSY_CLIENT_ID=$SELLSY_CLIENT_ID SELLSY_CLIENT_SECRET=$SELLSY_CLIENT_SECRET MAUTIC_USERNAME=$MAUTIC_USERNAME \\
    MAUTIC_PASSWORD=$MAUTIC_PASSWORD ALTIOR_API_KEY=$ALTIOR_API_KEY UNAS_API_KEY=$UNAS_API_KEY \\
    MINICRM_SYSTEM_ID=$MINICRM_SYSTEM_ID MINICRM_API_KEY=$MINICRM_API_KEY):
  ./bin/crmsync status
  ./bin/crmsync status $CONN
  ./bin/crmsync watch $CONN
  ./bin/crmsync pause $CONN --reason "lunch"; ./bin/crmsync resume $CONN
  ./bin/crmsync resync $CONN --objects contact
  ./bin/crmsync sync-now $CONN
  ./bin/crmsync start import $CONN --dry-run      (what an import would do now: all matched)
  ./bin/crmsync quarantine $CONN                   (reads the store in \$CRMSYNC_DATA_DIR)
  ./bin/crmsync call unas POST /getOrderStatus '<Params></Params>'
  temporal workflow query --workflow-id $CONN/incremental-sync --type progress
  temporal workflow signal --workflow-id $CONN/incremental-sync --name pause

Importing now…
MSG
# A Temporal server kept from elsewhere may still run these connections' workflows, for
# systems that no longer exist: end them before starting afresh.
fresh() {
  for wf in initial-import incremental-sync pipeline-sync; do
    "$TEMPORAL" workflow terminate --address "$TEMPORAL_ADDRESS" --namespace "$TEMPORAL_NAMESPACE" --workflow-id "$1/$wf" --reason "make demo starts afresh" >/dev/null 2>&1 || true
  done
}
fresh "$CONN"
./bin/crmsync start import "$CONN" --wait
./bin/crmsync start sync "$CONN"
example() { ./bin/crmsync start import "$1" --wait && ./bin/crmsync start sync "$1" && ./bin/crmsync start pipelines "$1"; }
for c in "${EXAMPLES[@]}"; do
  fresh "$c"
  spawn example "$c" >"$DEMO_DIR/$c.log" 2>&1
done
echo; echo "Incremental sync running (every 15 minutes; 'crmsync sync-now $CONN' runs one now). Ctrl-C stops the demo."
wait
