"""AIStore's two config files for one node, as plain dicts built by pure functions.

`ais.json` is the cluster-wide config (every node gets the same one); `ais_local.json` is the
node's own (ports, config and log dirs, mountpaths). Field names and validation limits are
AIStore v1.5.0's (cmn/config.go); see shared/AISTORE-NOTES.md section 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aisbench.cluster.authn import ClusterAuth, auth_section
from aisbench.cluster.tls import TlsFiles

# AIStore v1.5.0 binds its public port to INADDR_ANY unless the intra-control port equals it
# (ais/htrun.go pubAddrAny); equal ports are allowed on different hosts (cmn/config.go
# validatePubIntra), and each host must be an address of a local interface (ais/utils.go). So
# where the loopback aliases 127.0.0.2 and 127.0.0.3 exist (scripts/setup.sh adds them as root),
# a node uses ONE port on three loopback addresses and listens on loopback only.
PUBLIC_HOST = "127.0.0.1"
CONTROL_HOST = "127.0.0.2"
DATA_HOST = "127.0.0.3"


@dataclass(frozen=True)
class NodePorts:
    """Where a node listens: public, intra-control and intra-data host:port."""

    public: int
    control: int
    data: int
    public_host: str = PUBLIC_HOST
    control_host: str = CONTROL_HOST
    data_host: str = DATA_HOST

    @property
    def endpoints(self) -> tuple[tuple[str, int], ...]:
        return ((self.public_host, self.public), (self.control_host, self.control),
                (self.data_host, self.data))

    @property
    def loopback_only(self) -> bool:
        """False when AIStore will listen on INADDR_ANY for the public port."""
        return self.public == self.control and self.public_host != self.control_host


@dataclass(frozen=True)
class NodeLayout:
    """Where one node lives: its id, role, ports and directories."""

    node_id: str
    role: str  # "proxy" | "target"
    ports: NodePorts
    confdir: Path
    logdir: Path
    mountpath_root: Path
    instance: int  # distinct per target: mountpaths are <root>/mp<i>/<instance>

    @property
    def config_path(self) -> Path:
        return self.confdir / "ais.json"

    @property
    def local_config_path(self) -> Path:
        return self.confdir / "ais_local.json"

    @property
    def log_path(self) -> Path:
        return self.logdir / "aisnode.out"


def cluster_config(primary_url: str, *, tls: TlsFiles | None = None,
                   auth: ClusterAuth | None = None) -> dict[str, Any]:
    """The cluster-wide config: no cloud backends, short startup for a local playground.

    With `tls`, every node serves HTTPS with `tls.cert` and trusts `tls.ca` for its calls to the
    other nodes; with `auth`, every client request needs a token signed with `auth.hmac_key`.
    """
    return {
        "backend": {},
        "mirror": {"copies": 2, "burst_buffer": 128, "enabled": False},
        "ec": {"enabled": False, "data_slices": 2, "parity_slices": 2, "objsize_limit": 262144,
               "compression": "never", "bundle_multiplier": 2, "disk_only": False},
        "log": {"level": "3", "max_size": "4mb", "max_total": "128mb", "flush_time": "2s",
                "stats_time": "60s", "to_stderr": False},
        "periodic": {"stats_time": "10s", "notif_time": "30s", "retry_sync_time": "2s"},
        "timeout": {
            "cplane_operation": "2s",
            "max_keepalive": "5s",
            "max_host_busy": "20s",
            "startup_time": "30s",
            "join_startup_time": "3m",
            "send_file_time": "5m",
        },
        "client": {"client_timeout": "10s", "client_long_timeout": "10m",
                   "list_timeout": "5m"},
        "proxy": {"primary_url": primary_url, "original_url": primary_url, "discovery_url": ""},
        "space": {"cleanupwm": 65, "lowwm": 75, "highwm": 90, "out_of_space": 95},
        "lru": {"dont_evict_time": "120m", "capacity_upd_time": "10m", "enabled": False},
        "disk": {"iostat_time_long": "2s", "iostat_time_short": "100ms",
                 "disk_util_low_wm": 20, "disk_util_high_wm": 80, "disk_util_max_wm": 95},
        "rebalance": {"dest_retry_time": "2m", "compression": "never", "bundle_multiplier": 2,
                      "enabled": True},
        "resilver": {"enabled": True},
        "checksum": {"type": "xxhash", "validate_cold_get": True, "validate_warm_get": False,
                     "validate_obj_move": False, "enable_read_range": False},
        "versioning": {"enabled": True, "validate_warm_get": False},
        "net": {
            "l4": {"proto": "tcp", "sndrcv_buf_size": 131072},
            "http": {**_tls_fields(tls),
                     "write_buffer_size": 65536, "read_buffer_size": 65536,
                     "chunked_transfer": True, "skip_verify": False},
            "use_ipv6": False,
        },
        "fshc": {"test_files": 4, "error_limit": 2},
        "auth": auth_section(auth),
        "keepalivetracker": {
            "proxy": {"interval": "10s", "name": "heartbeat", "factor": 3},
            "target": {"interval": "10s", "name": "heartbeat", "factor": 3},
            "retry_factor": 4,
        },
        "downloader": {"timeout": "1h"},
        "distributed_sort": {},
        "memsys": {"min_free": "2gb", "default_buf": "32kb", "to_gc": "4gb",
                   "hk_time": "3m", "min_pct_total": 0, "min_pct_free": 0},
        "features": "0",
    }


def _tls_fields(tls: TlsFiles | None) -> dict[str, Any]:
    """net.http's TLS fields (cmn/config.go TLSConf). `client_ca_tls` is the CA the nodes'
    intra-cluster clients trust; with client_auth_tls 0 no client certificate is asked for."""
    if tls is None:
        return {"use_https": False, "server_crt": "", "server_key": ""}
    return {"use_https": True, "server_crt": str(tls.cert), "server_key": str(tls.key),
            "client_ca_tls": str(tls.ca), "client_auth_tls": 0}


def local_config(node: NodeLayout, mountpaths: int) -> dict[str, Any]:
    """The node's own config. Ports are JSON strings, as AIStore expects."""
    return {
        "confdir": str(node.confdir),
        "log_dir": str(node.logdir),
        "host_net": {
            "hostname": node.ports.public_host,
            "hostname_intra_control": node.ports.control_host,
            "hostname_intra_data": node.ports.data_host,
            "port": str(node.ports.public),
            "port_intra_control": str(node.ports.control),
            "port_intra_data": str(node.ports.data),
        },
        "fspaths": {},
        # The "testing env": AIStore creates <root>/mp<i>/<instance> per target by itself.
        "test_fspaths": {
            "root": str(node.mountpath_root),
            "count": mountpaths if node.role == "target" else 0,
            "instance": node.instance,
        },
    }


def write_node_configs(node: NodeLayout, primary_url: str, mountpaths: int, *,
                       tls: TlsFiles | None = None, auth: ClusterAuth | None = None) -> None:
    """Create the node's directories and write both config files (ais.json is 0600: it may
    hold the token signing key)."""
    for directory in (node.confdir, node.logdir, node.mountpath_root):
        directory.mkdir(parents=True, exist_ok=True)
    node.config_path.touch(mode=0o600)
    node.config_path.write_text(json.dumps(cluster_config(primary_url, tls=tls, auth=auth),
                                           indent=2))
    node.local_config_path.write_text(json.dumps(local_config(node, mountpaths), indent=2))


def aisnode_argv(binary: Path, node: NodeLayout, ntargets: int) -> list[str]:
    """The aisnode command line for one node."""
    argv = [
        str(binary),
        f"-config={node.config_path}",
        f"-local_config={node.local_config_path}",
        f"-role={node.role}",
        f"-daemon_id={node.node_id}",
    ]
    if node.role == "proxy":
        argv.append(f"-ntargets={ntargets}")
    return argv
