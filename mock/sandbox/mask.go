package sandbox

import (
	"github.com/freedompay-mock/freedompay-mock/mock/redact"
	"github.com/freedompay-mock/freedompay-mock/mock/scenario"
)

// newRedactor masks the secrets of sc's merchants (secret_key and
// payout_secret_key) in whatever the sandbox shows: the logs, the control
// API's JSON and the dashboard (the journal and notify attempts mask the
// secrets of their own merchant when they record).
func newRedactor(sc *scenario.Scenario) *redact.Redactor {
	secrets := make([]string, 0, 2*len(sc.Merchants))
	for _, m := range sc.Merchants {
		secrets = append(secrets, m.SecretKey, m.PayoutSecretKey)
	}
	return redact.New(secrets...)
}

// Redactor masks the secrets of the scenario served now in what the
// sandbox shows; nil before there is one. It changes when the scenario
// does.
func (s *Sandbox) Redactor() *redact.Redactor {
	if w := s.world.Load(); w != nil {
		return w.redact
	}
	return nil
}
