package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
)

// defaultPGConns is the connection bound of a PostgreSQL store unless the DSN sets pool_max_conns.
const defaultPGConns = 8

// pgPool is a small bounded pool of pgx connections. (pgxpool needs github.com/jackc/puddle/v2,
// which go.sum does not list yet; this keeps the store on pgx's core package.)
type pgPool struct {
	cfg  *pgx.ConnConfig
	sem  chan struct{}
	mu   sync.Mutex
	idle []*pgx.Conn
	shut bool
}

// newPGPool parses a postgres:// DSN; the pool_max_conns query parameter bounds the pool.
func newPGPool(dsn string) (*pgPool, error) {
	size := defaultPGConns
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, errors.New("invalid DSN")
	}
	q := u.Query()
	if v := q.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("invalid pool_max_conns %q", v)
		}
		size = n
		q.Del("pool_max_conns")
		u.RawQuery = q.Encode()
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		// pgx errors may quote the DSN with its password: say no more.
		return nil, errors.New("invalid DSN")
	}
	return &pgPool{cfg: cfg, sem: make(chan struct{}, size)}, nil
}

func (p *pgPool) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.shut {
		p.mu.Unlock()
		<-p.sem
		return nil, errors.New("store closed")
	}
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if !c.IsClosed() {
			p.mu.Unlock()
			return c, nil
		}
	}
	p.mu.Unlock()
	c, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return c, nil
}

func (p *pgPool) release(c *pgx.Conn) {
	defer func() { <-p.sem }()
	p.mu.Lock()
	reuse := !p.shut && !c.IsClosed() && !c.PgConn().IsBusy() && c.PgConn().TxStatus() == 'I'
	if reuse {
		p.idle = append(p.idle, c)
	}
	p.mu.Unlock()
	if !reuse {
		c.Close(context.Background())
	}
}

// do runs f on a pooled connection.
func (p *pgPool) do(ctx context.Context, f func(*pgx.Conn) error) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.release(c)
	return f(c)
}

// tx runs f in a transaction on a pooled connection.
func (p *pgPool) tx(ctx context.Context, f func(pgx.Tx) error) error {
	return p.do(ctx, func(c *pgx.Conn) error { return pgx.BeginFunc(ctx, c, f) })
}

func (p *pgPool) close() {
	p.mu.Lock()
	p.shut = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		c.Close(context.Background())
	}
}

func (p *pgPool) exec(ctx context.Context, sql string, args ...any) error {
	return p.do(ctx, func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, sql, args...)
		return err
	})
}

func (p *pgPool) queryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	return p.do(ctx, func(c *pgx.Conn) error { return c.QueryRow(ctx, sql, args...).Scan(dest...) })
}

// query runs sql and hands the rows to f, which must consume them; they are closed afterwards.
func (p *pgPool) query(ctx context.Context, sql string, args []any, f func(pgx.Rows) error) error {
	return p.do(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := f(rows); err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	})
}
