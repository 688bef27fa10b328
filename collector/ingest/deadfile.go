package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// deadRecord is one line of the local dead-letter file. Excerpt is the
// bounded excerpt of the payload (JSON base64), as in the topic.
type deadRecord struct {
	Time      time.Time `json:"time"`
	Topic     string    `json:"topic"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	Reason    string    `json:"reason"`
	Size      int       `json:"size"`
	SHA256    string    `json:"sha256"`
	Truncated bool      `json:"truncated"`
	Key       []byte    `json:"key,omitempty"`
	Excerpt   []byte    `json:"excerpt"`
	// TopicError is why the dead-letter topic refused it.
	TopicError string `json:"topic_error"`
}

// deadLettersLost records dead letters the topic refused: counted, logged
// with their origin and appended to the local dead-letter file.
func (c *Consumer) deadLettersLost(dead []deadLetter, topicErr error) {
	c.Stats.DeadLettersLost.Add(int64(len(dead)))
	c.cfg.Metrics.deadLettersLost(len(dead))
	for _, d := range dead {
		c.log.Error("dead letter refused by the dead-letter topic; kept in the local dead-letter file",
			"topic", d.topic, "partition", d.partition, "offset", d.offset, "size", d.size,
			"sha256", d.sha256, "file", c.cfg.DLQFile, "err", topicErr)
	}
	if err := c.appendDeadFile(dead, topicErr); err != nil {
		c.log.Error("local dead-letter file not written; the dead letters are only in this log",
			"file", c.cfg.DLQFile, "count", len(dead), "err", err)
	}
}

// appendDeadFile appends dead as JSON lines to DLQFile, first rotating it to
// DLQFile+".1" when it would pass DLQFileMaxBytes.
func (c *Consumer) appendDeadFile(dead []deadLetter, topicErr error) error {
	var buf []byte
	now := time.Now().UTC()
	for _, d := range dead {
		line, err := json.Marshal(deadRecord{Time: now, Topic: d.topic, Partition: d.partition, Offset: d.offset,
			Reason: d.reason, Size: d.size, SHA256: d.sha256, Truncated: d.truncated(), Key: d.key,
			Excerpt: d.excerpt, TopicError: topicErr.Error()})
		if err != nil {
			return fmt.Errorf("ingest: encode dead letter: %w", err)
		}
		buf = append(append(buf, line...), '\n')
	}
	c.dlqFileMu.Lock()
	defer c.dlqFileMu.Unlock()
	path := c.cfg.DLQFile
	if fi, err := os.Stat(path); err == nil && fi.Size()+int64(len(buf)) > c.cfg.DLQFileMaxBytes {
		if err := os.Rename(path, path+".1"); err != nil {
			return fmt.Errorf("ingest: rotate dead-letter file: %w", err)
		}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ingest: dead-letter file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("ingest: open dead-letter file (set the dead-letter file path to a writable place): %w", err)
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("ingest: write dead-letter file %s: %w", path, err)
	}
	return f.Close()
}
