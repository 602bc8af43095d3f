package gateway

import (
	"testing"

	"github.com/mailgate/mailgate/auth"
	"github.com/mailgate/mailgate/config"
	"github.com/mailgate/mailgate/storage"
)

// TestQuotaLimits: a user's own limit wins, "none" lifts the default,
// and no own limit takes [mailbox]'s.
func TestQuotaLimits(t *testing.T) {
	c := &config.Config{Mailbox: config.Mailbox{QuotaStorage: 1 << 30, QuotaMessages: 1000}}
	for _, tc := range []struct {
		own  auth.Quota
		want storage.QuotaLimits
	}{
		{auth.Quota{}, storage.QuotaLimits{Storage: 1 << 30, Messages: 1000}},
		{auth.Quota{Storage: 5 << 20}, storage.QuotaLimits{Storage: 5 << 20, Messages: 1000}},
		{auth.Quota{Storage: auth.Unlimited, Messages: 7}, storage.QuotaLimits{Messages: 7}},
	} {
		if got := quotaLimits(c, tc.own); got != tc.want {
			t.Errorf("%+v: %+v, want %+v", tc.own, got, tc.want)
		}
	}
}
