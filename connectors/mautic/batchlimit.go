package mautic

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Automation refuses a batch of more records than its api_batch_max_limit, a parameter of
// Mautic's configuration (default 200, BatchSize; set in config/local.php, not in the
// Configuration screens: on a hosted instance, Webmecanik's support sets it).
// FetchCommonApiController::validateBatchPayload checks it before anything is written and
// answers returnError's default status, 500, with the text of mautic.api.call.batch_exception,
// which names the limit. Tried again, the same batch is refused again: the client sends the
// records again in batches of the size named (see batch), and remembers it.

// batchLimitText is the en_US text of mautic.api.call.batch_exception. An instance whose
// default language translates it is not recognised: its refusal stays a server error.
var batchLimitText = regexp.MustCompile(`^A max of (\d{1,9}) entities are supported at a time\.$`)

// batchLimitRefusal reports whether an error answer is validateBatchPayload's refusal, and
// the limit it names.
func batchLimitRefusal(status int, msg string) (limit int, ok bool) {
	if status != http.StatusInternalServerError {
		return 0, false
	}
	m := batchLimitText.FindStringSubmatch(strings.TrimSpace(msg))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// batchLimitHint follows Automation's refusal, which names neither the setting nor a way out.
func batchLimitHint(limit int) string {
	if limit < 1 {
		return fmt.Sprintf(" Automation's api_batch_max_limit is %d, so it refuses every batch: "+
			"set it to 200 (Mautic's default, the size crmsync sends), or at least 1, in Automation's config/local.php "+
			"(on a hosted instance, ask Webmecanik's support)", limit)
	}
	return fmt.Sprintf(" Automation's api_batch_max_limit is %d: send at most %d records a call, "+
		"or raise the setting (Mautic's default is 200) in Automation's config/local.php", limit, limit)
}

// nextBatchSize is the size to send after a batch of sent records was refused for naming
// limit: the limit, or half the batch when the limit is no smaller (Automation would not
// refuse it, so the number is not to be trusted). ok is false when no size fits (a limit of
// 0 refuses every batch).
func nextBatchSize(sent, limit int) (size int, ok bool) {
	switch {
	case limit < 1:
		return 0, false
	case limit < sent:
		return limit, true
	case sent > 1:
		return sent / 2, true
	}
	return 0, false
}

// batchSize is the most records a batch call sends now.
func (c *Client) batchSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.batchMax
}

// fitBatch takes in a refusal of a batch of sent records for Automation's limit: it keeps
// the smaller size for the client's lifetime, logging it once, and reports false when no
// size fits.
func (c *Client) fitBatch(op string, sent, limit int) bool {
	size, ok := nextBatchSize(sent, limit)
	if !ok {
		return false
	}
	c.mu.Lock()
	was := c.batchMax
	lowered := size < was
	if lowered {
		c.batchMax = size
	}
	c.mu.Unlock()
	if lowered {
		c.log.Warn(fmt.Sprintf("mautic: Automation refuses batches of more than %d records (its api_batch_max_limit); "+
			"crmsync sends %d a call from now on (it sent %d)", limit, size, was),
			"op", op, "api_batch_max_limit", limit, "batch_size", size)
	}
	return true
}

// batchTooLarge is the error of a batch call Automation refused for its size: nothing of it
// was written.
type batchTooLarge struct {
	sent, limit int
	err         error // the classified error: a configuration error naming the setting
}

func (e *batchTooLarge) Error() string { return e.err.Error() }
func (e *batchTooLarge) Unwrap() error { return e.err }
