"""One epoch over a slow, lossy loopback, run INSIDE a network namespace (see netem.py).

``python -m aisbench.faults.netem_run STATE_DIR AISNODE [--netem DELAY_MS LOSS_PCT]`` puts
netem on the namespace's ``lo``, starts a 1-proxy/1-target cluster in STATE_DIR, puts objects,
reads one AISMapDataset epoch with a patient client, stops the cluster, and prints the
FaultOutcome as JSON on stdout. Without ``--netem`` the link is left clean (to check the
plumbing where netem is missing). Run it with netem.in_namespace_argv, never outside one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from pathlib import Path

from aisbench.cluster import LocalCluster, Topology
from aisbench.datagen import delete_fault_data, put_fault_data
from aisbench.faults.epoch_run import judge, observe_epoch
from aisbench.faults.id_loaders import dataset_kind, id_loader
from aisbench.faults.network_faults import netem_label
from aisbench.results import outcome_to_dict
from aisref.client import RequestClient

N_OBJECTS = 24


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="aisbench.faults.netem_run")
    parser.add_argument("state_dir", type=Path)
    parser.add_argument("aisnode", type=Path)
    parser.add_argument("--netem", nargs=2, metavar=("DELAY_MS", "LOSS_PCT"))
    args = parser.parse_args(argv)
    fault = (netem_label(int(args.netem[0]), float(args.netem[1])) if args.netem
             else "clean loopback in a namespace")
    if args.netem:
        subprocess.run(["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay",
                        f"{args.netem[0]}ms", "loss", f"{args.netem[1]}%"],
                       check=True, timeout=10)
    cluster = LocalCluster(args.state_dir, find_aisnode=lambda: args.aisnode)
    try:
        status = cluster.up(Topology(proxies=1, targets=1, mountpaths=1))
        endpoint = status.endpoint
        targets = [f"http://127.0.0.1:{n.port}" for n in status.nodes if n.role == "target"]
        data = put_fault_data(endpoint, f"faults-netem-{uuid.uuid4().hex[:8]}", N_OBJECTS, 1, 1)
        client = RequestClient(endpoint, timeout=(3.0, 10.0), retries=8, retry_budget=20.0)
        loader = id_loader("AISMapDataset", data, client, num_workers=0)
        observation = observe_epoch(loader, 0, lambda: None)
        outcome = judge(observation, fault=fault, dataset="AISMapDataset", num_workers=0,
                        ids_by_label=data.ids_by_label(dataset_kind("AISMapDataset").unit),
                        node_urls=[endpoint, *targets], retries=loader.retries_made(),
                        notes="inside a network namespace: netem covers every hop")
        delete_fault_data(data)
    finally:
        cluster.down(keep_data=False)
    json.dump(outcome_to_dict(outcome), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
