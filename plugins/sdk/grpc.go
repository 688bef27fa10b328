package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/nhiradar/nhiradar/plugins/sdk/event"
	"github.com/nhiradar/nhiradar/plugins/sdk/pluginpb"
)

// Handshake is shared by the agent and every plugin executable. A plugin
// started by hand, outside an agent, prints a short refusal instead of
// waiting on stdin.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "NHI_RADAR_PLUGIN",
	MagicCookieValue: "discovery-3f1c9a7e",
}

// PluginName is the key of the discovery plugin in go-plugin's plugin set.
const PluginName = "discovery"

// GRPCPlugin connects the Plugin interface to go-plugin: on the plugin side
// it serves Impl, on the agent side it returns a Plugin that calls the
// process.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Plugin
	// Log is the logger Impl's scans receive on the plugin side (nil:
	// PluginLogger on stderr, which go-plugin relays to the agent).
	Log *slog.Logger
}

// GRPCServer implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	log := p.Log
	if log == nil {
		log = PluginLogger(os.Stderr)
	}
	pluginpb.RegisterDiscoveryServer(s, &grpcServer{impl: p.Impl, log: log})
	return nil
}

// GRPCClient implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &grpcClient{client: pluginpb.NewDiscoveryClient(c)}, nil
}

// PluginSet returns the go-plugin plugin set for impl (nil on the agent side).
func PluginSet(impl Plugin) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{Impl: impl}}
}

// grpcServer runs inside the plugin process.
type grpcServer struct {
	pluginpb.UnimplementedDiscoveryServer
	impl Plugin
	log  *slog.Logger
}

func (s *grpcServer) Info(context.Context, *pluginpb.InfoRequest) (*pluginpb.InfoResponse, error) {
	i := s.impl.Info()
	return &pluginpb.InfoResponse{Name: i.Name, Version: i.Version, Description: i.Description, LiveOnly: i.LiveOnly}, nil
}

func (s *grpcServer) Scan(req *pluginpb.ScanRequest, stream pluginpb.Discovery_ScanServer) error {
	r := ScanRequest{Root: req.Root, Full: req.Full, FingerprintKey: req.FingerprintKey,
		Now: time.Unix(0, req.NowUnixNano), Options: req.Options, StateDir: req.StateDir, Log: s.log}
	return s.impl.Scan(stream.Context(), r, func(e *event.Event) error {
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		return stream.Send(&pluginpb.ScanEvent{Event: b})
	})
}

// grpcClient runs in the agent and makes a plugin process look like a Plugin.
type grpcClient struct {
	client pluginpb.DiscoveryClient
}

func (c *grpcClient) Info() Info {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.client.Info(ctx, &pluginpb.InfoRequest{})
	if err != nil {
		return Info{}
	}
	return Info{Name: r.Name, Version: r.Version, Description: r.Description, LiveOnly: r.LiveOnly}
}

// Scan sends req to the plugin process; req.Log stays on this side: the
// plugin logs to its stderr, which the plugin host relays.
func (c *grpcClient) Scan(ctx context.Context, req ScanRequest, emit Emit) error {
	stream, err := c.client.Scan(ctx, &pluginpb.ScanRequest{Root: req.Root, Full: req.Full,
		FingerprintKey: req.FingerprintKey, NowUnixNano: req.Now.UnixNano(), Options: req.Options, StateDir: req.StateDir})
	if err != nil {
		return fmt.Errorf("start scan: %w", err)
	}
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("scan stream: %w", err)
		}
		var e event.Event
		if err := json.Unmarshal(m.Event, &e); err != nil {
			return fmt.Errorf("plugin sent an undecodable event: %w", err)
		}
		if err := emit(&e); err != nil {
			return err
		}
	}
}

// Serve runs impl as a plugin process; a plugin executable's main is one
// call to it.
func Serve(impl Plugin) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         PluginSet(impl),
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
