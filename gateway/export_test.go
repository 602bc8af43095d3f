package gateway

// The connection caps, for the tests outside the package that check them.
const (
	MetricsMaxConns   = metricsMaxConns
	ProxyAuthMaxConns = proxyAuthMaxConns
)
