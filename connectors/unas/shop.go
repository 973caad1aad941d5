package unas

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/crmsync/crmsync/connectors"
)

// Shop is what the clients of one UNAS shop share in a process, next to its call budget: the
// login token with what the login answered, and the bans UNAS announced. The worker builds a
// client per connection and builds it again when the connection file changes; with a Shop of
// their own, each would log in again (UNAS allows 5 failed logins an hour, and the token is
// meant to be reused) and call into a ban another one had already been told about. The zero
// value is not ready: use NewShop.
type Shop struct {
	once  sync.Once
	token connectors.Token

	mu   sync.Mutex
	key  [32]byte // digest of the base URL and API key of the first client, never the key
	sess Session
	bans map[string]time.Time // function → banned till
}

// refusalHold is how long a refused login answers every call of the shop without another
// login: UNAS bans the IP after 5 failed logins an hour, so at most 5 an hour from a process.
const refusalHold = 12 * time.Minute

// NewShop returns the state of a shop no client has used yet.
func NewShop() *Shop { return &Shop{bans: map[string]time.Time{}} }

// attach joins a client to the shop: the first one gives the token its clock; a client of
// another shop or key is refused, since it would use a token that is not its own.
func (s *Shop) attach(c *Client) error {
	s.once.Do(func() {
		s.token = connectors.Token{System: System, Op: "POST login", Margin: renewBefore, HoldRefused: refusalHold, Now: c.now}
	})
	sum := sha256.Sum256([]byte(c.base + "\x00" + c.apiKey))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == ([32]byte{}) {
		s.key = sum
		return nil
	}
	if s.key != sum {
		return cfgErr("config", "unas: the shared shop state belongs to another shop or API key")
	}
	return nil
}

func (s *Shop) session() Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess
}

func (s *Shop) setSession(sess Session) {
	s.mu.Lock()
	s.sess = sess
	s.mu.Unlock()
}

// bannedUntil returns when the ban of function ends (zero: none known).
func (s *Shop) bannedUntil(function string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bans[function]
}

// ban records that UNAS bans function until then; an earlier end never shortens a ban.
func (s *Shop) ban(function string, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.bans[function]) {
		s.bans[function] = until
	}
}
