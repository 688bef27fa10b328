// Command ingestgen feeds the ingest benchmark (packaging/bench/ingest.sh):
// it produces N synthetic events into a Kafka topic and writes the rows the
// collector will store for them as TabSeparated, so that clickhouse-client
// can insert exactly the same rows as the reference.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/nhiradar/nhiradar/collector/ingest"
	"github.com/nhiradar/nhiradar/collector/store/eventdb"
	"github.com/nhiradar/nhiradar/collector/synth"
	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:19092", "Kafka brokers")
	topic := flag.String("topic", "", "topic to produce to (created with -partitions)")
	partitions := flag.Int("partitions", 6, "partitions of the topic")
	n := flag.Int("n", 2000000, "events to produce")
	tsv := flag.String("tsv", "", "write the rows as TabSeparated to this file")
	columns := flag.Bool("columns", false, "print the column list of the rows and exit")
	remove := flag.Bool("delete", false, "delete the topic and its dead-letter topic, then exit")
	flag.Parse()
	if *remove {
		if err := deleteTopics(context.Background(), strings.Split(*brokers, ","), *topic, *topic+".dlq"); err != nil {
			slog.Error("ingestgen: delete topics", "err", err)
			os.Exit(1)
		}
		return
	}
	if *columns {
		fmt.Println(strings.Join(eventdb.EventColumns(), ", "))
		return
	}
	if err := run(context.Background(), strings.Split(*brokers, ","), *topic, *partitions, *n, *tsv); err != nil {
		slog.Error("ingestgen failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, brokers []string, topic string, partitions, n int, tsvPath string) error {
	if err := ingest.EnsureTopics(ctx, brokers, partitions, 1, topic, topic+".dlq"); err != nil {
		return err
	}
	f, err := os.Create(tsvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	out := bufio.NewWriterSize(f, 1<<20)
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, RequiredAcks: kafka.RequireOne,
		BatchSize: 5000, BatchBytes: 8 << 20, BatchTimeout: 20 * time.Millisecond}
	defer w.Close()
	fleet := synth.NewFleet(42, 2000, 50000)
	start, bytes := time.Now(), 0
	const chunk = 5000
	msgs := make([]kafka.Message, 0, chunk)
	for i := 0; i < n; i++ {
		e := fleet.Next()
		b, err := event.Encode(e)
		if err != nil {
			return err
		}
		bytes += len(b)
		msgs = append(msgs, kafka.Message{Key: []byte(e.Host), Value: b})
		writeTSV(out, eventdb.EventRow(e))
		if len(msgs) == chunk || i == n-1 {
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				return fmt.Errorf("produce: %w", err)
			}
			msgs = msgs[:0]
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "produced %d events (%d bytes on average) in %s\n", n, bytes/max(n, 1), time.Since(start).Round(time.Millisecond))
	return nil
}

func deleteTopics(ctx context.Context, brokers []string, topics ...string) error {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second}
	resp, err := client.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	if err != nil {
		return err
	}
	for t, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.UnknownTopicOrPartition) {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	return nil
}

var tsvEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`)
var arrayEscaper = strings.NewReplacer(`\`, `\\\\`, `'`, `\\'`, "\t", `\t`, "\n", `\n`)

func writeTSV(w *bufio.Writer, row []any) {
	for i, v := range row {
		if i > 0 {
			w.WriteByte('\t')
		}
		switch x := v.(type) {
		case string:
			w.WriteString(tsvEscaper.Replace(x))
		case time.Time:
			w.WriteString(x.UTC().Format("2006-01-02 15:04:05"))
		case []string:
			writeArray(w, x, func(s string) string { return "'" + arrayEscaper.Replace(s) + "'" })
		case []time.Time:
			writeArray(w, x, func(t time.Time) string { return "'" + t.UTC().Format("2006-01-02 15:04:05") + "'" })
		case []int64:
			writeArray(w, x, func(n int64) string { return strconv.FormatInt(n, 10) })
		default:
			fmt.Fprint(w, x)
		}
	}
	w.WriteByte('\n')
}

func writeArray[T any](w *bufio.Writer, xs []T, format func(T) string) {
	w.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(format(x))
	}
	w.WriteByte(']')
}
