package ingest

import (
	"bytes"
	"errors"
	"fmt"

	gojson "github.com/goccy/go-json"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
)

// decode is event.Decode with a faster JSON parser (github.com/goccy/go-json,
// about twice as fast as encoding/json here, which is the collector's largest
// cost): the same size limit, unknown fields and trailing data refused, then
// the schema's own event.Validate. FuzzDecodeAgrees checks that it accepts
// exactly what event.Decode accepts and yields the same events.
func decode(b []byte) (*event.Event, error) {
	if len(b) > event.MaxEventBytes {
		return nil, fmt.Errorf("%w: %d bytes", event.ErrTooLarge, len(b))
	}
	dec := gojson.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e event.Event
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("event: decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("event: decode: trailing data after the event")
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	e.Normalize()
	return &e, nil
}
