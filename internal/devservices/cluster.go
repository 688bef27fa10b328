package devservices

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Cluster is a private ClickHouse cluster of two servers, as replicas of
// one shard or as two shards, and the ZooKeeper it coordinates through, all
// on ports of their own; it is stopped and removed when the test ends.
type Cluster struct {
	// Name is the cluster's name in remote_servers (ON CLUSTER Name).
	Name string
	// Nodes are the servers' native-protocol addresses.
	Nodes []string

	nodes []*Instance
}

// Stop stops node i, for the tests of a node that does not answer.
func (c *Cluster) Stop(t testing.TB, i int) {
	t.Helper()
	c.nodes[i].Do(t, "down-clickhouse")
}

// ClickHouseCluster starts ZooKeeper and two ClickHouse servers configured
// as replicas of one shard of cluster "nhi".
func ClickHouseCluster(t testing.TB) *Cluster { return startCluster(t, false) }

// ClickHouseShards starts ZooKeeper and two ClickHouse servers configured
// as the two shards, one replica each, of cluster "nhi".
func ClickHouseShards(t testing.TB) *Cluster { return startCluster(t, true) }

func startCluster(t testing.TB, shards bool) *Cluster {
	t.Helper()
	Integration(t, "a ClickHouse cluster with ZooKeeper")
	up(t) // installs ClickHouse, once
	cache := os.Getenv("NHI_SERVICES_CACHE")
	if cache == "" {
		cache = defaultHome()
	}
	ports := freePorts(t, 7)
	zk := &Instance{env: append(os.Environ(), "NHI_SERVICES_HOME="+t.TempDir(), "NHI_SERVICES_CACHE="+cache,
		"NHI_ZOOKEEPER_PORT="+strconv.Itoa(ports[0]))}
	t.Cleanup(func() { _ = zk.run("down-zookeeper") })
	zk.Do(t, "up-zookeeper")

	c := &Cluster{Name: "nhi"}
	tcp := []int{ports[1], ports[4]}
	for i := range tcp {
		c.Nodes = append(c.Nodes, "127.0.0.1:"+strconv.Itoa(tcp[i]))
	}
	for i, base := range []int{1, 4} {
		home := t.TempDir()
		conf := filepath.Join(home, "cluster.xml")
		if err := os.WriteFile(conf, []byte(clusterXML(c.Name, ports[0], tcp, i+1, shards)), 0o600); err != nil {
			t.Fatal(err)
		}
		node := &Instance{env: append(os.Environ(), "NHI_SERVICES_HOME="+home, "NHI_SERVICES_CACHE="+cache,
			"NHI_CLICKHOUSE_PORT="+strconv.Itoa(ports[base]), "NHI_CLICKHOUSE_HTTP_PORT="+strconv.Itoa(ports[base+1]),
			"NHI_CLICKHOUSE_INTERSERVER_PORT="+strconv.Itoa(ports[base+2]), "NHI_CLICKHOUSE_EXTRA_CONFIG="+conf)}
		t.Cleanup(func() { _ = node.run("down-clickhouse") })
		node.Do(t, "up-clickhouse")
		c.nodes = append(c.nodes, node)
	}
	return c
}

// clusterXML is node n's part of the cluster configuration: ZooKeeper, the
// cluster's servers (replicas of one shard, or a shard each), this node's
// macros and the DDL queue.
func clusterXML(name string, zkPort int, tcp []int, n int, shards bool) string {
	var layout strings.Builder
	replica := "      <replica><host>127.0.0.1</host><port>%d</port></replica>\n"
	if shards {
		for _, p := range tcp {
			fmt.Fprintf(&layout, "      <shard>\n      <internal_replication>true</internal_replication>\n"+replica+"      </shard>\n", p)
		}
	} else {
		layout.WriteString("      <shard>\n      <internal_replication>true</internal_replication>\n")
		for _, p := range tcp {
			fmt.Fprintf(&layout, replica, p)
		}
		layout.WriteString("      </shard>\n")
	}
	shard := 1
	if shards {
		shard = n
	}
	return fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <zookeeper><node><host>127.0.0.1</host><port>%d</port></node></zookeeper>
  <remote_servers>
    <%[2]s>
%[3]s    </%[2]s>
  </remote_servers>
  <macros><shard>%[4]d</shard><replica>r%[5]d</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
`, zkPort, name, layout.String(), shard, n)
}
