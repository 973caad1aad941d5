package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/crmsync/crmsync/config"
)

const repoRoot = ".."

type composeService struct {
	Image       string            `yaml:"image"`
	Build       yaml.Node         `yaml:"build"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   yaml.Node         `yaml:"depends_on"`
	Healthcheck map[string]any    `yaml:"healthcheck"`
	StopGrace   string            `yaml:"stop_grace_period"`
}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	require.NoError(t, err)
	var c composeFile
	require.NoError(t, yaml.Unmarshal(raw, &c))
	return c
}

// dependsOn returns each dependency with its condition ("service_started" for the short list form).
func dependsOn(t *testing.T, n yaml.Node) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch n.Kind {
	case 0:
	case yaml.SequenceNode:
		var l []string
		require.NoError(t, n.Decode(&l))
		for _, s := range l {
			out[s] = "service_started"
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		require.NoError(t, n.Decode(&m))
		for k, v := range m {
			if v.Condition == "" {
				v.Condition = "service_started"
			}
			out[k] = v.Condition
		}
	default:
		t.Fatalf("depends_on: unexpected YAML kind %v", n.Kind)
	}
	return out
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	var names []string
	for n := range c.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	assert.Equal(t, []string{"postgresql", "temporal", "temporal-ui", "worker"}, names)

	pg := c.Services["postgresql"]
	assert.Equal(t, "postgres:15", pg.Image)
	assert.Contains(t, pg.Environment, "POSTGRES_USER")
	assert.Contains(t, pg.Environment, "POSTGRES_PASSWORD")
	assert.NotEmpty(t, pg.Healthcheck["test"], "postgresql needs a healthcheck for depends_on service_healthy")
	// On the volume's first start the image runs deploy/postgres-init on a temporary server that
	// listens on its Unix socket only: asked there, pg_isready says healthy before the crmsync
	// database exists and while Temporal and the worker cannot connect over the network yet.
	assert.Regexp(t, `pg_isready .*-h (127\.0\.0\.1|localhost)\b`, pg.Healthcheck["test"], "postgresql's healthcheck asks over TCP")
	assert.Contains(t, pg.Volumes, "./deploy/postgres-init:/docker-entrypoint-initdb.d:ro")
	hasData := false
	for _, v := range pg.Volumes {
		if strings.HasSuffix(v, ":/var/lib/postgresql/data") {
			hasData = true
			assert.Contains(t, c.Volumes, strings.Split(v, ":")[0], "named volume declared")
		}
	}
	assert.True(t, hasData, "postgresql data volume")

	tp := c.Services["temporal"]
	assert.Equal(t, "temporalio/auto-setup:1.29.1", tp.Image)
	assert.Equal(t, "postgres12", tp.Environment["DB"])
	assert.Equal(t, "5432", tp.Environment["DB_PORT"])
	assert.Equal(t, "postgresql", tp.Environment["POSTGRES_SEEDS"])
	assert.Contains(t, tp.Environment, "POSTGRES_USER")
	assert.Contains(t, tp.Environment, "POSTGRES_PWD")
	assert.Contains(t, tp.Ports, "127.0.0.1:7233:7233")
	// PostgreSQL's visibility has three Int search attributes in all: auto-setup's own test
	// attributes (CustomIntField, …) take one, crmsync's CrmRecordsRead and CrmQuarantined the
	// two others, leaving none for an operator's own, or crmsync's next.
	assert.Equal(t, "true", tp.Environment["SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES"], "auto-setup's test search attributes are left out")
	assert.Equal(t, map[string]string{"postgresql": "service_healthy"}, dependsOn(t, tp.DependsOn))
	for _, v := range tp.Volumes { // mounted files exist
		assertHostPathExists(t, v)
	}

	ui := c.Services["temporal-ui"]
	assert.Regexp(t, `^temporalio/ui:2\.\d+\.\d+$`, ui.Image, "pinned 2.x tag")
	assert.Equal(t, "temporal:7233", ui.Environment["TEMPORAL_ADDRESS"])
	assert.Contains(t, ui.Ports, "127.0.0.1:8080:8080")
	assert.Contains(t, dependsOn(t, ui.DependsOn), "temporal")

	w := c.Services["worker"]
	assert.Empty(t, w.Image, "the worker is built, not pulled")
	assert.Equal(t, []any{"CMD", "/usr/local/bin/crmsync-worker", "healthcheck"}, w.Healthcheck["test"],
		"distroless has no shell: the worker binary asks its own /healthz")
	assert.NotEmpty(t, w.Environment["CRMSYNC_WEBHOOK_ADDR"], "the health check reaches the worker there")
	assert.Equal(t, ":9090", w.Environment["CRMSYNC_METRICS_ADDR"])
	assert.Contains(t, w.Ports, "127.0.0.1:9090:9090", "Prometheus scrapes the worker")
	grace, err := time.ParseDuration(w.StopGrace)
	require.NoError(t, err, "stop_grace_period")
	var settings Settings
	require.NoError(t, envconfig.Process("crmsync_compose_test", &settings))
	assert.Greater(t, grace, settings.StopTimeout+stopReport+httpDrain, "docker waits for the activities to hand their place on, for the cancelled ones to tell Temporal, and for the deliveries in hand, before it kills the worker")
	var build string
	switch w.Build.Kind {
	case yaml.ScalarNode:
		build = w.Build.Value
	case yaml.MappingNode:
		var b struct{ Context, Dockerfile string }
		require.NoError(t, w.Build.Decode(&b))
		build = b.Context
		if b.Dockerfile != "" {
			assert.Equal(t, "Dockerfile", b.Dockerfile)
		}
	}
	assert.Equal(t, ".", build)
	deps := dependsOn(t, w.DependsOn)
	assert.Contains(t, deps, "temporal")
	assert.Equal(t, "service_healthy", deps["postgresql"])
	assert.Contains(t, w.Volumes, "${CRMSYNC_CONNECTIONS_DIR:-./deploy/connections}:/etc/crmsync/connections:ro")
	for _, v := range w.Volumes {
		assertHostPathExists(t, v)
	}
}

// TestComposePublishedPorts checks what the stack opens on the host: the Temporal frontend,
// the web UI and the metrics answer anyone without authentication (the frontend and the UI
// terminate workflows and send signals), so they listen on the host's loopback only; the
// webhook receiver, which Automation, Sellsy and UNAS must reach, is the only port open to
// the network, and PostgreSQL is reached over compose's network alone.
func TestComposePublishedPorts(t *testing.T) {
	c := loadCompose(t)
	want := map[string]string{ // service/container port → host address ("" for every interface)
		"temporal/7233":    "127.0.0.1",
		"temporal-ui/8080": "127.0.0.1",
		"worker/8090":      "",
		"worker/9090":      "127.0.0.1",
	}
	got := map[string]string{}
	for name, s := range c.Services {
		for _, p := range s.Ports {
			parts := strings.Split(p, ":")
			require.GreaterOrEqual(t, len(parts), 2, "service %s: port %q: write HOST_PORT:CONTAINER_PORT", name, p)
			host := ""
			if len(parts) == 3 {
				host = parts[0]
			}
			got[name+"/"+parts[len(parts)-1]] = host
		}
	}
	assert.Equal(t, want, got)
}

// withDefaults reads a compose value as compose does with nothing set in the environment:
// ${VAR:-default} and ${VAR-default} become the default, any other ${…} becomes empty.
func withDefaults(v string) string {
	return envRef.ReplaceAllStringFunc(v, func(ref string) string {
		if m := envDefault.FindStringSubmatch(ref); m != nil {
			return m[1]
		}
		return ""
	})
}

var envDefault = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}$`)

func assertHostPathExists(t *testing.T, volume string) {
	t.Helper()
	host := strings.Split(withDefaults(volume), ":")[0]
	if strings.HasPrefix(host, "./") {
		_, err := os.Stat(filepath.Join(repoRoot, host))
		assert.NoError(t, err, "volume %s", volume)
	}
}

func TestWorkerEnvironment(t *testing.T) {
	env := loadCompose(t).Services["worker"].Environment
	want := map[string]string{
		"CRMSYNC_TEMPORAL_ADDRESS": "temporal:7233",
		"CRMSYNC_NAMESPACE":        "default",
		"CRMSYNC_TASK_QUEUE":       "crmsync",
		"CRMSYNC_CONNECTIONS":      "/etc/crmsync/connections",
	}
	for k, v := range want {
		assert.Equal(t, v, env[k], k)
	}
	// Every CRMSYNC_* variable is one the worker reads.
	known := map[string]bool{}
	for _, name := range settingNames() {
		known[name] = true // the whole variable name (worker/main.go: no prefix, no fallback)
	}
	for k := range env {
		if strings.HasPrefix(k, "CRMSYNC_") {
			assert.True(t, known[k], "%s is not a worker setting", k)
		}
	}
	dsn := env["CRMSYNC_STORE_DSN"]
	assert.Regexp(t, `^postgres://[^@]+@postgresql:5432/crmsync(\?.*)?$`, dsn)

	// Every credential a mounted connection file names is passed through as a ${VAR} reference.
	for _, name := range exampleCredentialVars(t) {
		v, ok := env[name]
		if assert.True(t, ok, "worker environment lacks %s, named by config/examples", name) {
			assert.Regexp(t, `^\$\{`+name+`(:?[-?][^}]*)?\}$`, v, name)
		}
	}

	// The variables the README names for the other documented features are passed through
	// empty when unset, so that compose still starts without them, and the README lists each
	// one among the worker's pass-throughs.
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	for _, name := range []string{
		"SELLSY_WEBHOOK_TOKEN", // credentials.webhook_token of a Sellsy side
		"SELLSY_V1_CONSUMER_TOKEN", "SELLSY_V1_CONSUMER_SECRET", "SELLSY_V1_USER_TOKEN", "SELLSY_V1_USER_SECRET",
		"UNAS_WEBHOOK_SECRET",       // credentials.webhook_secret of a UNAS side
		"CRMSYNC_SELLSY_CONNECTION", // the Sellsy.* activities' account
	} {
		assert.Equal(t, "${"+name+":-}", env[name], "%s is passed through, empty when unset", name)
		assert.Contains(t, string(readme), "`"+name+"`", "the README names %s", name)
	}
}

// TestComposeMountedConnections checks the connections docker-compose.yml mounts by default:
// they load, they point at the real systems rather than at the sandbox, and compose refuses to
// start without every credential they name instead of starting a worker that exits at once.
func TestComposeMountedConnections(t *testing.T) {
	w := loadCompose(t).Services["worker"]
	var dir string
	for _, v := range w.Volumes {
		if host, target, _ := strings.Cut(withDefaults(v), ":"); strings.HasPrefix(target, w.Environment["CRMSYNC_CONNECTIONS"]) {
			dir = host
		}
	}
	require.NotEmpty(t, dir, "the worker mounts its connections folder")
	files, err := config.Files(filepath.Join(repoRoot, dir))
	require.NoError(t, err)
	require.NotEmpty(t, files, "%s holds at least one connection", dir)
	for _, f := range files {
		c, err := config.Load(f)
		require.NoError(t, err)
		for _, side := range []config.System{c.A, c.B} {
			for key, value := range side.Settings {
				assert.NotRegexp(t, `(?i)127\.0\.0\.1|localhost`, value, "%s: %s setting %s points at this machine, the worker's own container", f, side.System, key)
			}
			for _, name := range side.Credentials {
				assert.Regexp(t, `^\$\{`+name+`:\?[^}]+\}$`, w.Environment[name], "%s names %s: compose must require it", f, name)
			}
		}
	}
	assert.Equal(t, "./deploy/connections", withDefaults("${CRMSYNC_CONNECTIONS_DIR:-./deploy/connections}"))
	assert.Equal(t, "/x", withDefaults("${UNSET}/x"))
}

// exampleCredentialVars lists the environment variables the example connection files name.
func exampleCredentialVars(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "config", "examples", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	seen := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var conn struct {
			A, B struct {
				Credentials map[string]string `yaml:"credentials"`
			}
		}
		require.NoError(t, yaml.Unmarshal(raw, &conn), f)
		for _, sys := range []map[string]string{conn.A.Credentials, conn.B.Credentials} {
			for _, v := range sys {
				seen[v] = true
			}
		}
	}
	var out []string
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

var (
	envRef          = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}`)
	sensitiveKey    = regexp.MustCompile(`(?i)(secret|passw|pwd|token|api_?key|client_id|username|credential|private)`)
	urlPassword     = regexp.MustCompile(`://[^:/@\s]+:([^@\s]+)@`)
	secretLikeValue = regexp.MustCompile(`^[A-Za-z0-9+=_\-]{24,}$`) // a long token; paths and hosts have / . :
)

// literalSecrets returns the environment entries whose value looks like a secret written down
// rather than a ${VAR} reference to the host environment.
func literalSecrets(env map[string]string) []string {
	var bad []string
	for k, v := range env {
		rest := envRef.ReplaceAllString(v, "")
		switch {
		case sensitiveKey.MatchString(k) && !strings.HasPrefix(k, "CRMSYNC_") && rest != "" && k != "POSTGRES_USER":
			bad = append(bad, k)
		case urlPassword.MatchString(v) && !envRef.MatchString(urlPassword.FindStringSubmatch(v)[1]):
			bad = append(bad, k)
		case secretLikeValue.MatchString(rest):
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	return bad
}

func TestNoLiteralSecrets(t *testing.T) {
	for name, s := range loadCompose(t).Services {
		assert.Empty(t, literalSecrets(s.Environment), "service %s: values must be ${VAR} references", name)
	}
	// The detector itself.
	assert.Equal(t, []string{"DSN", "MAUTIC_PASSWORD", "SELLSY_CLIENT_SECRET", "X"}, literalSecrets(map[string]string{
		"SELLSY_CLIENT_SECRET": "hunter2",
		"MAUTIC_PASSWORD":      "${MAUTIC_PASSWORD}x",
		"DSN":                  "postgres://u:pw@db:5432/x",
		"X":                    "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZw==",
		"OK_DSN":               "postgres://u:${PW}@db:5432/x",
		"SELLSY_CLIENT_ID":     "${SELLSY_CLIENT_ID}",
		"PLAIN":                "temporal:7233",
	}))
}

func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	require.NoError(t, err)
	df := string(raw)
	var froms []string
	for _, line := range strings.Split(df, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.EqualFold(f[0], "FROM") {
			froms = append(froms, f[1])
		}
	}
	require.GreaterOrEqual(t, len(froms), 2, "multi-stage build")
	// The builder is go.mod's Go exactly: the golang images set GOTOOLCHAIN=local, so an image
	// of an older patch release, cached under a bare golang:1.26, fails on go.mod's go line.
	mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	require.NotNil(t, goLine, "go.mod's go line")
	assert.Regexp(t, `^golang:`+regexp.QuoteMeta(string(goLine[1]))+`(-|$)`, froms[0])
	assert.Regexp(t, `^(gcr\.io/distroless/static|alpine)`, froms[len(froms)-1])
	assert.Regexp(t, `(?m)CGO_ENABLED=0`, df)
	assert.Regexp(t, `(?m)go build .*\./worker\b`, df)
	assert.Regexp(t, `(?m)go build .*\./starter\b`, df)
	assert.Regexp(t, `(?m)^USER\s+(nonroot|[1-9][0-9]*)`, df, "runs as non-repoRoot")

	// The build context keeps every folder of the module the two binaries are built from.
	list := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./worker", "./starter")
	list.Dir = repoRoot
	out, err := list.Output()
	require.NoError(t, err, "go list")
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	needed := map[string]bool{"go.mod": true, "go.sum": true}
	for _, dir := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(root, dir); err == nil && !strings.HasPrefix(rel, "..") {
			needed[strings.Split(filepath.ToSlash(rel), "/")[0]] = true
		}
	}
	require.Contains(t, needed, "worker")
	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(ignore), "\n") {
		pattern := strings.Trim(strings.TrimSpace(line), "/")
		if pattern == "" || strings.HasPrefix(pattern, "#") || strings.HasPrefix(pattern, "!") {
			continue
		}
		for name := range needed {
			excluded, err := filepath.Match(pattern, name)
			require.NoError(t, err, ".dockerignore: %q", line)
			assert.False(t, excluded, ".dockerignore's %q leaves out %s, which the build needs", line, name)
		}
	}
}

func TestPostgresInit(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy", "postgres-init", "*.sql"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var all string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		all += string(raw)
	}
	assert.Regexp(t, `(?i)CREATE DATABASE crmsync\b`, all)
	assert.NotRegexp(t, `(?i)PASSWORD\s+'`, all, "no password in init SQL")
}
