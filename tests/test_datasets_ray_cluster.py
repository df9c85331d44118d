"""``--backend ray --ray-address`` against a real Ray cluster: a head and a worker node started with
``ray start`` on this machine, joined by the command line as a remote user would."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from chessmesa.datasets import read_manifest, shard_paths

pytestmark = pytest.mark.slow  # a cluster takes some 10 s to start and stop

CLI = [sys.executable, "-m", "chessmesa.cli"]
STARTED = "Ray runtime started."  # what `ray start` prints once its node has joined


@dataclass
class Cluster:
    address: str
    env: dict  # the environment of every process of the cluster, the drivers' too


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_node(ray: str, args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """``ray start ... --block`` in a process group of its own: stopping that process stops just this
    node (``ray stop`` would stop every Ray on the machine); returns once the node is up."""
    # a node of its own ports: another Ray on this machine (or the other node) keeps its defaults
    args = [*args, "--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats",
            f"--dashboard-agent-listen-port={free_port()}", "--block"]
    with log.open("w") as out:
        node = subprocess.Popen([ray, "start", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + 60
    while STARTED not in log.read_text():
        assert node.poll() is None and time.monotonic() < deadline, f"ray start failed:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
    return node


def stop_node(node: subprocess.Popen) -> None:
    """SIGTERM lets ``ray start --block`` stop its node's processes; SIGKILL to the group then ends
    whatever did not go (or everything, if the graceful stop hangs)."""
    node.terminate()
    try:
        node.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(node.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    node.wait()


@pytest.fixture(scope="module")
def ray_cluster():
    """A head and one worker node, one CPU each, on this machine (Ray advertises its network address
    even when told 127.0.0.1, which still joins: both are this machine)."""
    # the ray next to this Python first: a cluster of another Python's Ray would refuse our driver
    ray = shutil.which("ray", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    if ray is None:
        pytest.skip("the ray command-line is not installed: pip install 'chessmesa[ray]'")
    # Token authentication set on every process: `ray start --head` turns it on by itself when
    # ~/.ray/auth_token exists (any earlier ray.init() writes one), but a node or driver joining an
    # explicit address never does, and then fails with InvalidAuthToken. Draining on SIGTERM would
    # make each stop wait 30 s for work that is not there.
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
           "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"}
    # a short folder of our own: Ray's socket paths must stay under 108 characters
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
    address = f"127.0.0.1:{free_port()}"
    nodes = []
    try:
        nodes.append(start_node(ray, ["--head", f"--port={address.split(':')[1]}", f"--temp-dir={temp}",
                                      "--include-dashboard=false"], env, temp / "head.log"))
        nodes.append(start_node(ray, [f"--address={address}"], env, temp / "worker.log"))
        yield Cluster(address, env)
    finally:
        for node in reversed(nodes):
            stop_node(node)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """An untrained tiny network: what ``iterate`` labels its later generations with."""
    import torch

    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import save_model

    torch.manual_seed(3)
    path = tmp_path_factory.mktemp("student") / "student.safetensors"
    save_model(path, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    return path


def generate(repo_data, out, engine, *extra, env=None):
    """Self-play from the opening book (every row depends on the seed through the games too)."""
    args = ["generate", "--out", str(out), "--positions", "40", "--budgets", "4,8,16", "--max-plies", "30",
            "--source", f"selfplay:{repo_data / 'openings/noob_2moves.epd'}", "--shard-size", "10",
            "--engine", engine, "--seed", "7", "--workers", "2", "--json", *extra]
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("label", ["mcts", "netmcts"])
def test_a_cluster_of_two_nodes_gives_the_rows_of_the_local_pool(tmp_path, repo_data, ray_cluster, student,
                                                                  label):
    engine = "mcts" if label == "mcts" else f"netmcts:ckpt={student},batch=4"
    local = generate(repo_data, tmp_path / "local", engine)
    assert local.returncode == 0, local.stderr[-2000:]
    remote = generate(repo_data, tmp_path / "ray", engine, "--backend", "ray", "--ray-address",
                      ray_cluster.address, env=ray_cluster.env)
    assert remote.returncode == 0, remote.stderr[-2000:]
    run = read_manifest(tmp_path / "ray")["runs"][-1]
    # two actors of one CPU on nodes of one CPU each: one of them ran on the worker node
    assert run["backend"] == "ray" and run["workers"] == 2
    assert pq.read_table(shard_paths(tmp_path / "ray")).equals(pq.read_table(shard_paths(tmp_path / "local")))


def test_a_driver_without_the_token_is_told_what_it_lacks(tmp_path, repo_data, ray_cluster):
    # a wrong token; a second of trying to join instead of Ray's twenty
    env = {**ray_cluster.env, "RAY_AUTH_TOKEN": secrets.token_hex(32), "RAY_gcs_server_port_wait_time_s": "1"}
    refused = generate(repo_data, tmp_path / "ray", "mcts", "--backend", "ray", "--ray-address",
                       ray_cluster.address, env=env)
    assert refused.returncode == 2
    error = refused.stderr.splitlines()[-1]
    assert error.startswith(f"Error: cannot start Ray at {ray_cluster.address}") and "RAY_AUTH_MODE=token" in error
