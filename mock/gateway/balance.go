package gateway

import (
	"github.com/freedompay-mock/freedompay-mock/mock/sign"
	"github.com/freedompay-mock/freedompay-mock/mock/wire"
)

// balanceStatus answers POST /g2g/balance_status: the merchant's payout
// balance now, with every payout in process reserved and failed ones given
// back. pg_currency is required and must be the merchant's.
func (g *Gateway) balanceStatus(c *call) (sign.Fields, error) {
	f := &form{fields: c.fields}
	f.requireAll("pg_currency")
	cur := f.currency(c.merchant.Currency)
	if f.err != nil {
		return nil, f.err
	}
	bal, err := g.balance(c)
	if err != nil {
		return nil, err
	}
	return sign.Fields{field("pg_balance", bal), field("pg_status", "ok"), field("pg_currency", cur)}, nil
}

// apiBalanceStatus answers POST /api/balance_status, the older path of the
// official PHP payout SDK, which sends the merchant id alone.
func (g *Gateway) apiBalanceStatus(c *call) (sign.Fields, error) {
	f := &form{fields: c.fields}
	cur := f.currency(c.merchant.Currency)
	if f.err != nil {
		return nil, f.err
	}
	bal, err := g.balance(c)
	if err != nil {
		return nil, err
	}
	return sign.Fields{field("pg_status", "ok"), field("pg_balance", bal), field("pg_currency", cur)}, nil
}

func (g *Gateway) balance(c *call) (string, error) {
	bal, ok := g.cfg.Ledger.Balance(c.merchant.ID, c.now)
	if !ok {
		return "", wire.NewError(wire.CodeBadMerchant)
	}
	return bal.Fixed2(), nil
}
