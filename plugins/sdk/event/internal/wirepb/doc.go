// Package wirepb is the wire event encoded as protobuf, used only by the codec
// benchmark that justifies JSON as the wire encoding.
package wirepb
