"""``chessmesa iterate``: generations labelled by their predecessor's search, resumable after a kill."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from chessmesa.core import Position
from chessmesa.datasets import read_manifest

SMALL = ["--generations", "2", "--positions", "240", "--sims", "8", "--steps", "20", "--games", "4",
         "--holdout", "0.3"]


def iterate(out, *extra, timeout=600):
    return subprocess.run([sys.executable, "-m", "chessmesa.cli", "iterate", "--out", str(out), *SMALL, *extra],
                          capture_output=True, text=True, timeout=timeout)


def wait_for(path, process, seconds=600):
    deadline = time.time() + seconds
    while not path.exists():
        assert process.poll() is None, process.stderr.read()[-2000:]
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.1)


@pytest.mark.slow
def test_two_generations_resume_after_a_kill_and_label_with_the_previous_student(tmp_path):
    out = tmp_path / "iter"
    command = [sys.executable, "-m", "chessmesa.cli", "iterate", "--out", str(out), *SMALL, "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    # killed (no chance to clean up) while generation 1 is being labelled or trained
    wait_for(out / "gen-001" / "data", process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    finished = out / "gen-000" / "student" / "metrics.json"
    kept = {path: path.read_bytes() for path in (finished, out / "gen-000" / "agreement.json",
                                                 out / "gen-000" / "match-static.json") if path.exists()}
    assert finished in kept

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    for path, content in kept.items():  # nothing finished was redone
        assert path.read_bytes() == content
    summary = json.loads(resumed.stdout)
    assert [g["generation"] for g in summary["generations"]] == [0, 1]
    first, second = summary["generations"]
    assert first["teacher"].startswith("mcts") and second["teacher"].startswith("netmcts")
    assert set(second["matches"]) == {"alone", "floor", "search", "static"}
    assert set(first["matches"]) == {"floor", "static"}
    for generation in summary["generations"]:
        agreement = generation["agreement_with_teacher"]
        assert agreement["n"] > 0 and agreement["top1_tied_ci"][0] <= agreement["top1_tied"] <= agreement["top1_tied_ci"][1]
        static = generation["matches"]["static"]
        assert static["wins"] + static["draws"] + static["losses"] == 4
    assert summary["generations"][0]["alone"]["elo"] == 0.0  # the anchor
    assert second["with_search"]["elo_ci"] is not None
    assert (out / "report.html").read_text().count("Expert iteration") >= 1
    assert (out / "elo-by-generation.png").stat().st_size > 10_000

    # generation 1 was labelled by generation 0's student: its stored priors are that network's policy
    config = read_manifest(out / "gen-001" / "data")["config"]
    assert config["network"] == str((out / "gen-000" / "student").resolve())
    assert json.loads((out / "gen-001" / "student" / "config.json").read_text())["train"]["init"] \
        == str(out / "gen-000" / "student")
    from chessmesa.nn import load_network

    network = load_network(out / "gen-000" / "student")
    row = pq.read_table(next((out / "gen-001" / "data").glob("part-*.parquet"))).slice(0, 1).to_pylist()[0]
    position = Position(row["fen"])
    (policy,), _ = network.policy_value([position])
    order = {code: i for i, code in enumerate(position.legal_moves().tolist())}
    expected = np.array([policy[order[code]] for code in row["moves"]])
    np.testing.assert_allclose(row["prior"], expected, atol=1e-4)
    static_prior = read_manifest(out / "gen-000" / "data")["config"]["network"]
    assert static_prior is None


def test_bad_input_is_one_line_with_exit_code_2(tmp_path):
    zero = subprocess.run([sys.executable, "-m", "chessmesa.cli", "iterate", "--out", str(tmp_path / "a"),
                           "--generations", "2", "--positions", "0", "--sims", "8"],
                          capture_output=True, text=True, timeout=120)
    assert zero.returncode == 2 and "--positions" in zero.stderr

    missing = iterate(tmp_path / "b", "--init", str(tmp_path / "no-such-run"), timeout=120)
    assert missing.returncode == 2 and "checkpoint not found" in missing.stderr
    assert "Traceback" not in missing.stderr and len(missing.stderr.strip().splitlines()) == 1

    other = tmp_path / "c"
    other.mkdir()
    (other / "iterate-config.json").write_text(json.dumps({"generations": 2, "positions": 240, "budget": 16}))
    refused = iterate(other, timeout=120)
    assert refused.returncode == 2 and "another configuration" in refused.stderr and "budget" in refused.stderr
    assert sorted(p.name for p in other.iterdir()) == ["iterate-config.json"]  # nothing touched

    # a generation folder made with other settings: refused, its shards kept
    from chessmesa.datasets import GenerateConfig, SourceSpec, generate

    foreign = tmp_path / "d" / "gen-000" / "data"
    generate(GenerateConfig(positions=20, budgets=(8,), sources=(SourceSpec("random"),), max_plies=20), foreign,
             workers=1)
    shards = sorted(foreign.iterdir())
    mixed = iterate(tmp_path / "d", timeout=120)
    assert mixed.returncode == 2 and "cannot resume" in mixed.stderr and "Traceback" not in mixed.stderr
    assert sorted(foreign.iterdir()) == shards


def test_generate_refuses_a_netmcts_engine_without_a_usable_checkpoint(tmp_path):
    base = [sys.executable, "-m", "chessmesa.cli", "generate", "--positions", "4", "--budgets", "4"]
    no_ckpt = subprocess.run(base + ["--out", str(tmp_path / "a"), "--engine", "netmcts:cpuct=2"],
                             capture_output=True, text=True, timeout=120)
    assert no_ckpt.returncode == 2 and "needs ckpt" in no_ckpt.stderr
    corrupt = tmp_path / "model.safetensors"
    corrupt.write_bytes(b"not a model")
    bad = subprocess.run(base + ["--out", str(tmp_path / "b"), "--engine", f"netmcts:ckpt={corrupt}"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "cannot label with network" in bad.stderr
    assert not (tmp_path / "b" / "_manifest.json").exists()


def test_a_static_value_blend_keeps_the_network_priors_and_mixes_the_values():
    from chessmesa.nn import MODEL_SIZES, Network, build_model
    from chessmesa.search import SearchParams
    from chessmesa.search.searcher import StaticBatchEvaluator, StaticValueBlend, network_evaluator

    network = Network(build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    positions = [Position(), Position("r1bqkbnr/pppp1ppp/2n5/4p3/3PP3/5N2/PPP2PPP/RNBQKB1R b KQkq - 0 3")]
    leaves = (np.stack([p.bb[:9] for p in positions]), np.stack([p.st[:70] for p in positions]),
              np.ones(2, dtype=np.int64), np.zeros((2, 256), dtype=np.int64), np.zeros(2, dtype=np.int64))
    for i, position in enumerate(positions):
        moves = position.legal_moves()
        leaves[3][i, :len(moves)] = moves
        leaves[4][i] = len(moves)
    params = SearchParams()
    net_values, net_priors = network(*leaves)
    static_values, _ = StaticBatchEvaluator(params)(*leaves)
    assert network_evaluator(network, params, 0.0) is network
    for share in (0.25, 1.0):
        values, priors = network_evaluator(network, params, share)(*leaves)
        np.testing.assert_allclose(values, (1 - share) * net_values + share * static_values, atol=1e-9)
        np.testing.assert_array_equal(priors, net_priors)
    with pytest.raises(ValueError, match="share"):
        StaticValueBlend(network, params, 1.5)


def test_network_labels_are_the_same_with_one_worker_two_workers_and_ray(tmp_path):
    from chessmesa.datasets import GenerateConfig, SourceSpec, generate, load_dataset
    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import save_model

    import torch

    torch.manual_seed(3)
    model_file = tmp_path / "student.safetensors"
    save_model(model_file, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    config = GenerateConfig(positions=40, budgets=(4, 8), sources=(SourceSpec("random"),), max_plies=30,
                            network=str(model_file), network_batch=4, network_static_value=0.5)
    tables = []
    for name, workers, backend in (("one", 1, "local"), ("two", 2, "local")):
        generate(config, tmp_path / name, workers=workers, backend=backend)
        tables.append(load_dataset(tmp_path / name))
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        generate(config, tmp_path / "ray", workers=2, backend="ray")
    finally:
        ray.shutdown()
    tables.append(load_dataset(tmp_path / "ray"))
    assert tables[0].num_rows == 80 and tables[0].equals(tables[1]) and tables[0].equals(tables[2])
    assert read_manifest(tmp_path / "ray")["config"]["network_static_value"] == 0.5


@pytest.mark.slow
def test_two_small_generations_at_the_default_holdout_hold_out_a_game_each(tmp_path):
    """A few games a generation at the default 10% draw no game by hash: each generation's data
    still holds out one, so the agreement with its teacher has positions to score."""
    out = tmp_path / "iter"
    result = subprocess.run([sys.executable, "-m", "chessmesa.cli", "iterate", "--out", str(out),
                             "--generations", "2", "--positions", "60", "--sims", "4", "--steps", "2",
                             "--games", "2", "--seed", "3", "--json"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    for generation in json.loads(result.stdout)["generations"]:
        assert generation["agreement_with_teacher"]["n"] > 0
