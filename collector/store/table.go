package store

// views exist on every node and already read the Distributed tables.
var views = map[string]bool{"nhi_inventory": true, "identity_facts": true, "identity_presence": true, "agents": true}

// Table names a table for reading and writing in the connection's default
// database: on a cluster the Distributed table over every shard's local
// one (a view is its own name everywhere). It never names the database:
// the connection is bound to it, so that analysts' SQL runs as written.
func (s *Store) Table(name string) string {
	if views[name] {
		return name
	}
	return name + distSuffix(s.cfg.Cluster)
}
