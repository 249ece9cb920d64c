// Command containerd-stargz-grpc is lazysnap's minimal stand-in for stargz-snapshotter's daemon of the same name,
// used only by the system tests (StargzInteropTest) to prove that images lazysnap converts run through the
// reference implementation.
//
// Debian 12 packages stargz-snapshotter 0.12's library (golang-github-containerd-stargz-snapshotter-dev) but not
// the daemon's main package, and its service/ package cannot be compiled from Debian's archive (service/resolver
// imports k8s.io/cri-api/.../v1alpha2, which Debian does not package). So this file wires the same pieces as
// stargz's service.NewStargzSnapshotterService, one level down: the stargz filesystem (fs.NewFilesystem with
// source.FromDefaultLabels, i.e. the remote-snapshot labels that `ctr-remote image rpull` sets, and registry hosts
// built the way service/resolver builds them without a mirror config) under <root>/stargz, the remote
// snapshotter (snapshot.NewSnapshotter) under <root>/snapshotter, and containerd's snapshots gRPC service on a
// unix socket. Same root layout and fs config (TOML, the
// [fuse]/prefetch/... keys of fs/config.Config) as upstream; no metrics, keychains, CRI labels or mirrors.
// scripts/build-stargz-snapshotter builds it offline against /usr/share/gocode.
package main

import (
	"context"
	"flag"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/contrib/snapshotservice"
	"github.com/containerd/containerd/log"
	"github.com/containerd/containerd/reference"
	"github.com/containerd/containerd/remotes/docker"
	"github.com/containerd/containerd/snapshots/overlay/overlayutils"
	stargzfs "github.com/containerd/stargz-snapshotter/fs"
	"github.com/containerd/stargz-snapshotter/fs/config"
	"github.com/containerd/stargz-snapshotter/fs/layer"
	"github.com/containerd/stargz-snapshotter/fs/source"
	"github.com/containerd/stargz-snapshotter/snapshot"
	rhttp "github.com/hashicorp/go-retryablehttp"
	"github.com/pelletier/go-toml"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
)

func main() {
	address := flag.String("address", "/run/containerd-stargz-grpc/containerd-stargz-grpc.sock", "gRPC socket")
	configPath := flag.String("config", "/etc/containerd-stargz-grpc/config.toml", "fs config, TOML (optional)")
	root := flag.String("root", "/var/lib/containerd-stargz-grpc", "state directory")
	logLevel := flag.String("log-level", "info", "debug, info, warn, error")
	flag.Parse()

	lvl, err := logrus.ParseLevel(*logLevel)
	if err != nil {
		logrus.WithError(err).Fatal("bad --log-level")
	}
	logrus.SetLevel(lvl)
	logrus.SetFormatter(&logrus.JSONFormatter{TimestampFormat: log.RFC3339NanoFixed})
	ctx := log.WithLogger(context.Background(), log.L)

	var cfg config.Config
	if _, err := os.Stat(*configPath); err == nil {
		tree, err := toml.LoadFile(*configPath)
		if err == nil {
			err = tree.Unmarshal(&cfg)
		}
		if err != nil {
			log.G(ctx).WithError(err).Fatalf("failed to load config %q", *configPath)
		}
	}
	snRoot := filepath.Join(*root, "snapshotter")
	if err := os.MkdirAll(snRoot, 0700); err != nil {
		log.G(ctx).WithError(err).Fatal("failed to create root")
	}
	if err := overlayutils.Supported(snRoot); err != nil {
		log.G(ctx).WithError(err).Fatal("overlayfs is not supported on this system")
	}
	opaque := layer.OverlayOpaqueTrusted
	if userxattr, err := overlayutils.NeedsUserXAttr(snRoot); err == nil && userxattr {
		opaque = layer.OverlayOpaqueUser
	}
	fs, err := stargzfs.NewFilesystem(filepath.Join(*root, "stargz"), cfg, stargzfs.WithOverlayOpaqueType(opaque),
		stargzfs.WithGetSources(source.FromDefaultLabels(registryHosts)))
	if err != nil {
		log.G(ctx).WithError(err).Fatal("failed to configure filesystem")
	}
	sn, err := snapshot.NewSnapshotter(ctx, snRoot, fs, snapshot.AsynchronousRemove)
	if err != nil {
		log.G(ctx).WithError(err).Fatal("failed to create snapshotter")
	}

	if err := os.MkdirAll(filepath.Dir(*address), 0700); err != nil {
		log.G(ctx).WithError(err).Fatal("failed to create socket directory")
	}
	if err := os.RemoveAll(*address); err != nil {
		log.G(ctx).WithError(err).Fatal("failed to remove stale socket")
	}
	l, err := net.Listen("unix", *address)
	if err != nil {
		log.G(ctx).WithError(err).Fatal("failed to listen")
	}
	rpc := grpc.NewServer()
	snapshotsapi.RegisterSnapshotsServer(rpc, snapshotservice.FromSnapshotter(sn))
	go func() {
		if err := rpc.Serve(l); err != nil {
			log.G(ctx).WithError(err).Error("grpc server stopped")
		}
	}()
	log.G(ctx).WithField("address", *address).Info("serving")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	rpc.Stop()
	// Close unmounts every FUSE layer, committed ones included.
	if err := sn.Close(); err != nil {
		log.G(ctx).WithError(err).Warn("failed to close snapshotter")
	}
	log.G(ctx).Info("stopped")
}

// registryHosts is service/resolver.RegistryHostsFromConfig with an empty config and no credentials: the image's
// own registry (plain HTTP if it is localhost), a retrying HTTP client (stargz's fetcher tunes its retries and
// needs a non-nil transport) with a 30 s request timeout, and anonymous bearer-token auth.
func registryHosts(ref reference.Spec) ([]docker.RegistryHost, error) {
	client := rhttp.NewClient()
	client.Logger = nil
	tr := client.StandardClient()
	tr.Timeout = 30 * time.Second
	host := docker.RegistryHost{
		Client:       tr,
		Host:         ref.Hostname(),
		Scheme:       "https",
		Path:         "/v2",
		Capabilities: docker.HostCapabilityPull | docker.HostCapabilityResolve,
		Authorizer:   docker.NewDockerAuthorizer(docker.WithAuthClient(tr)),
	}
	if localhost, _ := docker.MatchLocalhost(host.Host); localhost {
		host.Scheme = "http"
	}
	if host.Host == "docker.io" {
		host.Host = "registry-1.docker.io"
	}
	return []docker.RegistryHost{host}, nil
}
