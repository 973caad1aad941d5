package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TemporalServerVersion is the Temporal server `make temporal-server` installs (with its SQL
// tool) for the production pairing: the real server on PostgreSQL, as DESIGN.md describes.
const TemporalServerVersion = "v1.29.1"

// TemporalServerDir finds the server and its SQL tool: $TEMPORAL_SERVER_DIR, else
// $(go env GOPATH)/bin/temporal-server-<version>, where `make temporal-server` puts them.
func TemporalServerDir(t TB) string {
	t.Helper()
	dir := os.Getenv("TEMPORAL_SERVER_DIR")
	if dir == "" {
		out, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			t.Fatalf("go env GOPATH: %v", err)
		}
		dir = filepath.Join(strings.TrimSpace(string(out)), "bin", "temporal-server-"+TemporalServerVersion)
	}
	for _, bin := range []string{"server", "sql"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			t.Fatalf("the Temporal server is not installed in %s: run `make temporal-server` (or `make test`, which installs it)", dir)
		}
	}
	return dir
}

// ProductionServer is the Temporal server itself (not the dev server) on two PostgreSQL
// databases of its own, which a test can kill and start again.
type ProductionServer struct {
	// Address is the frontend's host:port.
	Address string

	t      TB
	bin    string
	root   string
	cmd    *exec.Cmd
	exited chan error // receives the process's end
	mu     sync.Mutex
	log    bytes.Buffer
}

// StartProductionServer creates the server's databases on the PostgreSQL that admin (a
// connection string) names, sets their schemas up with the SQL tool, starts the server on
// free ports, registers the namespace "default" and returns once it serves it. Everything is
// removed when the test ends.
func StartProductionServer(t TB, admin string) *ProductionServer {
	t.Helper()
	dir := TemporalServerDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v", admin, err)
	}
	host, port := conn.Config().Host, fmt.Sprint(conn.Config().Port)
	user := conn.Config().User
	base := fmt.Sprintf("crmsync_temporal_%d", rand.Uint32())
	dbs := []struct{ name, schema string }{{base, "postgresql/v12/temporal"}, {base + "_visibility", "postgresql/v12/visibility"}}
	for _, db := range dbs {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+db.name); err != nil {
			t.Fatalf("create database %s: %v", db.name, err)
		}
	}
	t.Cleanup(func() {
		for _, db := range dbs {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db.name+" WITH (FORCE)")
		}
		_ = conn.Close(context.Background())
	})
	for _, db := range dbs {
		for _, args := range [][]string{{"setup-schema", "-v", "0.0"}, {"update-schema", "-s", db.schema}} {
			cmd := exec.CommandContext(ctx, filepath.Join(dir, "sql"), append([]string{"--plugin", "postgres12", "--ep", host, "-p", port, "-u", user, "--db", db.name}, args...)...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("temporal-sql-tool %s on %s: %v\n%s", args[0], db.name, err, out)
			}
		}
	}

	ports := reservePorts(t, 9)
	s := &ProductionServer{Address: fmt.Sprintf("127.0.0.1:%d", ports[0]), t: t, bin: filepath.Join(dir, "server"), root: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(s.root, "config", "dynamicconfig"), 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	// One task-queue partition, as for the dev server (DESIGN.md, "Running it").
	dynamic := "matching.numTaskqueueReadPartitions:\n  - value: 1\nmatching.numTaskqueueWritePartitions:\n  - value: 1\n"
	store := func(name string, conns int) string {
		return fmt.Sprintf("{sql: {pluginName: postgres12, databaseName: %s, connectAddr: %q, connectProtocol: tcp, user: %s, maxConns: %d, maxIdleConns: %d, maxConnLifetime: 1h}}",
			name, net.JoinHostPort(host, port), user, conns, conns)
	}
	config := fmt.Sprintf(`log: {stdout: true, level: warn}
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default: %s
    visibility: %s
global:
  membership: {maxJoinDuration: 30s, broadcastAddress: "127.0.0.1"}
services:
  frontend: {rpc: {grpcPort: %d, membershipPort: %d, httpPort: %d, bindOnLocalHost: true}}
  history: {rpc: {grpcPort: %d, membershipPort: %d, bindOnLocalHost: true}}
  matching: {rpc: {grpcPort: %d, membershipPort: %d, bindOnLocalHost: true}}
  worker: {rpc: {grpcPort: %d, membershipPort: %d, bindOnLocalHost: true}}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active: {enabled: true, initialFailoverVersion: 1, rpcName: frontend, rpcAddress: %q}
dcRedirectionPolicy: {policy: noop}
dynamicConfigClient: {filepath: %q, pollInterval: 10s}
`, store(dbs[0].name, 20), store(dbs[1].name, 4), ports[0], ports[1], ports[2], ports[3], ports[4], ports[5], ports[6], ports[7], ports[8], s.Address,
		filepath.Join(s.root, "config", "dynamicconfig", "crmsync.yaml"))
	for path, text := range map[string]string{"config/crmsync.yaml": config, "config/dynamicconfig/crmsync.yaml": dynamic} {
		if err := os.WriteFile(filepath.Join(s.root, path), []byte(text), 0o600); err != nil {
			t.Fatalf("%v", err)
		}
	}
	s.Start()
	t.Cleanup(s.Kill)

	c := s.Client()
	defer c.Close()
	nc, err := client.NewNamespaceClient(client.Options{HostPort: s.Address, Logger: quiet()})
	if err != nil {
		t.Fatalf("namespace client: %v", err)
	}
	defer nc.Close()
	err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: "default", WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour)})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		t.Fatalf("register namespace default: %v", err)
	}
	// The frontend learns of a new namespace on its next cache refresh.
	Eventually(t, time.Minute, 250*time.Millisecond, "the namespace default to be served", func() bool {
		_, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: 1})
		return err == nil
	})
	return s
}

// Start starts the server process (again, after Kill) and waits until its frontend answers.
func (s *ProductionServer) Start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--root", s.root, "--config", "config", "--env", "crmsync", "--allow-no-auth", "start")
	s.cmd.Dir = s.root
	s.cmd.Stdout = &lockedWriter{w: &s.log, mu: &s.mu}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start the Temporal server: %v", err)
	}
	exited := make(chan error, 1)
	cmd := s.cmd
	go func() { exited <- cmd.Wait() }()
	s.exited = exited
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			exited <- err
			s.t.Fatalf("the Temporal server stopped (%v):\n%s", err, s.Output())
		default:
		}
		if s.healthy() {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the Temporal server does not answer on %s:\n%s", s.Address, s.Output())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (s *ProductionServer) healthy() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: s.Address, Logger: quiet()})
	if err != nil {
		return false
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err == nil
}

// Kill stops the server at once (SIGKILL), as a crash would.
func (s *ProductionServer) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	err := <-s.exited
	s.exited <- err // a second Kill returns at once
}

// Client dials the server's namespace default.
func (s *ProductionServer) Client() client.Client {
	s.t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.Address, Logger: quiet()})
	if err != nil {
		s.t.Fatalf("dial the Temporal server: %v", err)
	}
	return c
}

// Output returns what the server has logged.
func (s *ProductionServer) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func quiet() log.Logger { return log.NewStructuredLogger(slog.New(slog.DiscardHandler)) }

// The ports a server may take: below 32768, as the server keeps membership ports in a
// smallint (and so below Linux's ephemeral range, out of the way of outgoing connections and
// of the dev server's ports), in blocks of portBlock.
const (
	portLow, portHigh = 20000, 32000
	portBlock         = 16
)

// FreeAddr returns a loopback address on a port reserved for the rest of the test, for a
// program the test will tell to listen there: a port found free by listening on port 0 is in
// the ephemeral range, where any process's listener or outgoing connection may take it before
// the program binds it.
func FreeAddr(t TB) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", reservePorts(t, 1)[0])
}

// reservePorts returns n distinct free ports, reserved for the rest of the test. A port found
// free is closed again and the server binds it seconds later: meanwhile another test process
// (go test runs packages in parallel) must not pick it. So ports come in blocks, each guarded
// by a file lock in the temporary directory all test processes share, held until the test
// ends (a restarted server binds the same ports again) and let go if the process dies.
func reservePorts(t TB, n int) []int {
	t.Helper()
	if n > portBlock {
		t.Fatalf("reservePorts: %d ports, at most %d", n, portBlock)
	}
	dir := filepath.Join(os.TempDir(), "crmsync-testenv-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("reservePorts: %v", err)
	}
	blocks := (portHigh - portLow) / portBlock
	first := rand.IntN(blocks)
	for i := range blocks {
		b := (first + i) % blocks
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%d.lock", b)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			t.Fatalf("reservePorts: %v", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			_ = f.Close() // another process holds this block
			continue
		}
		ports := make([]int, 0, n)
		for port := portLow + b*portBlock; port < portLow+(b+1)*portBlock && len(ports) < n; port++ {
			if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				_ = ln.Close()
				ports = append(ports, port)
			}
		}
		if len(ports) == n {
			t.Cleanup(func() { _ = f.Close() }) // closing the file lets the lock go
			return ports
		}
		_ = f.Close()
	}
	t.Fatalf("reservePorts: no block of %d free ports between %d and %d", n, portLow, portHigh)
	return nil
}
