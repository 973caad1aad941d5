package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One worker per SQLite file, whatever name the second one opens it by: a symbolic link to
// the file, to its directory, a link made before the file exists, a relative link, "..".
func TestSQLiteOneWorkerPerFileWhateverItsName(t *testing.T) {
	tests := []struct {
		name string
		// first and second name one file of dir; links (made after the first worker
		// opened first, in dir or in elsewhere) make second name it.
		first, second string
		links         [][2]string // {target, link}
		linksFirst    bool        // the links are made before the first worker opens
	}{
		{"symlink to the file", "crmsync.db", "current.db", [][2]string{{"$dir/crmsync.db", "$dir/current.db"}}, false},
		{"symlink to the directory", "crmsync.db", "$elsewhere/stores/crmsync.db", [][2]string{{"$dir", "$elsewhere/stores"}}, false},
		{"relative symlink", "crmsync.db", "sub/current.db", [][2]string{{"../crmsync.db", "$dir/sub/current.db"}}, false},
		{"dot-dot", "sub/../crmsync.db", "crmsync.db", nil, false},
		{"symlink made before the file, opened first", "current.db", "crmsync.db", [][2]string{{"$dir/crmsync.db", "$dir/current.db"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, elsewhere := t.TempDir(), t.TempDir()
			require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
			// at is p with $dir and $elsewhere expanded, in dir when relative (a link's
			// relative target "../…" stays as written).
			at := func(p string) string {
				p = os.Expand(p, func(v string) string { return map[string]string{"dir": dir, "elsewhere": elsewhere}[v] })
				if !filepath.IsAbs(p) && !strings.HasPrefix(p, "..") {
					p = filepath.Join(dir, p)
				}
				return p
			}
			link := func() {
				for _, l := range tt.links {
					require.NoError(t, os.Symlink(at(l[0]), at(l[1])))
				}
			}
			if tt.linksFirst {
				link()
			}
			open(t, "sqlite:"+at(tt.first))
			if !tt.linksFirst {
				link()
			}
			other, err := Open(context.Background(), "sqlite:"+at(tt.second))
			if err == nil {
				other.Close()
			}
			require.Error(t, err, "a second worker on the same file")
			assert.Contains(t, err.Error(), "another worker uses this SQLite store")
		})
	}
}
