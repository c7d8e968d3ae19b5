package engine

import "testing"

// TestShardedBy reads the sharding key of Distributed engine definitions
// as system.tables.engine_full gives them: per-shard aggregation is only
// right when the key's one column is the customer's.
func TestShardedBy(t *testing.T) {
	for _, c := range []struct {
		full, customer string
		want           bool
	}{
		{"Distributed(clv_two_shards, default, sim_local, cityHash64(customer_id))", "customer_id", true},
		{"Distributed(clv_two_shards, default, sim_local, cityHash64(ifNull(customer_id, '')))", "customer_id", true},
		{"Distributed(c, default, t_local, `customer_id`)", "customer_id", true},
		{"Distributed(c, default, t_local, intHash64(customer_id) % 7, 'policy')", "customer_id", true},
		{"Distributed(c, default, t_local, rand())", "customer_id", false},
		{"Distributed(c, default, t_local)", "customer_id", false},
		{"Distributed(c, default, t_local, cityHash64(customer_id, date))", "customer_id", false},
		{"Distributed(c, default, t_local, cityHash64(date))", "customer_id", false},
		{"Distributed(c, default, t_local, cityHash64(customer))", "customer_id", false},
		{"Distributed(c, default, t_local, cityHash64(concat(customer_id, 'x,y')))", "customer_id", true},
		{"MergeTree() ORDER BY customer_id", "customer_id", false},
	} {
		if got := shardedBy(c.full, c.customer); got != c.want {
			t.Errorf("shardedBy(%q, %q) = %v, want %v", c.full, c.customer, got, c.want)
		}
	}
}
