"""Student speed: training samples/s, network positions/s, net-MCTS simulations/s.

1. Training samples/s of each model size through the real loop (``chessmesa.nn.train``: batch
   encoding in numba, masked policy loss, AdamW), against a bare torch loop on random planes with
   the same model and batch in the same run: their ratio is the share of time the data pipeline
   leaves to the network.
2. Network positions/s through the batch bridge (encode, forward, legal softmax) at batch 1 and
   256, per model size; batch 1 is the reference of batch 256.
3. Net-MCTS simulations/s with the tiny (and small) network at leaf batch 1, 8 and 32; batch 1 is
   the reference (target: batch 32 at least 4x batch 1), with the mean leaves per network call.
4. Two training runs in two processes (:mod:`chessmesa.nn.parallel`, one torch thread each, as the
   demo trains its students) against the same two runs one after the other in this process: the
   wall-time speed-up of using both cores.
5. CPU training variants of the bare loop against its batch-256, one-thread form in the same run:
   batch 512, channels-last memory format, two torch threads, and ``torch.compile``: which of the
   usual levers pays on this machine.

CPU always; CUDA too where present. Writes ``bench/results/train.json`` and prints the markdown
tables quoted in the README.

    python bench/train.py              # tiny, small, transformer (medium with --full)
    python bench/train.py --quick      # fewer steps and simulations
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from chessmesa.core import Position
from chessmesa.core.layout import MAX_MOVES
from chessmesa.datasets import GenerateConfig, generate, load_dataset
from chessmesa.nn import MODEL_SIZES, Network, build_model
from chessmesa.nn.models import forward_flops, parameter_count
from chessmesa.nn.parallel import train_runs
from chessmesa.nn.planes import PLANES, position_arrays
from chessmesa.nn.samples import load_samples
from chessmesa.nn.train import TrainConfig, train
from chessmesa.search import MCTS

RESULTS = Path(__file__).resolve().parent / "results" / "train.json"
BENCH_FEN = "r1bqkb1r/pppp1ppp/2n2n2/4p3/2B1P3/5N2/PPPP1PPP/RNBQK2R w KQkq - 4 4"
WARMUP_STEPS = 3


def training_speed(samples, data_dir: str, size: str, steps: int, batch: int, device: str,
                   workdir: Path) -> dict:
    """Samples/s of the real training loop, timed between step WARMUP_STEPS and the last step
    before the final validation and checkpoint."""
    marks: dict[int, float] = {}

    def mark(step: int, total: int, info: dict) -> None:
        marks[step] = time.perf_counter()

    config = TrainConfig(data=data_dir, teacher_budget=16, model=size, steps=steps, batch_size=batch,
                         device=device, eval_every=10**9, checkpoint_every=10**9, log_every=10**9)
    train(config, workdir / f"{size}-{device}", samples=samples, on_progress=mark)
    pipeline = (steps - 1 - WARMUP_STEPS) * batch / (marks[steps - 1] - marks[WARMUP_STEPS])
    bare = bare_training_speed(size, steps, batch, torch.device(device))
    return {"model": size, "device": device, "batch": batch, "samples_per_s": pipeline,
            "bare_torch_samples_per_s": bare, "ratio_vs_bare": pipeline / bare}


def bare_training_speed(size: str, steps: int, batch: int, device: torch.device, channels_last: bool = False,
                        compiled: bool = False) -> float:
    """The reference: forward, backward and AdamW on random planes, nothing else."""
    model = build_model(MODEL_SIZES[size]).to(device)
    planes = torch.rand(batch, PLANES, 8, 8, device=device)
    if channels_last:
        model, planes = model.to(memory_format=torch.channels_last), planes.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    forward = torch.compile(model) if compiled else model
    for step in range(steps):
        if step == WARMUP_STEPS:
            _sync(device)
            start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits, values, _ = forward(planes)
        loss = torch.logsumexp(logits.float(), 1).mean() + values.float().square().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _sync(device)
    return (steps - WARMUP_STEPS) * batch / (time.perf_counter() - start)


#: The CPU variants of the bare loop: (name, batch, threads, channels_last, torch.compile).
VARIANTS = [("batch 256, 1 thread (reference)", 256, 1, False, False), ("batch 512", 512, 1, False, False),
            ("channels-last", 256, 1, True, False), ("2 threads", 256, 2, False, False),
            ("torch.compile", 256, 1, False, True)]


def training_variants(sizes: list[str], steps: int) -> list[dict]:
    """Samples/s of each :data:`VARIANTS` entry per model size, and its ratio to the reference."""
    rows = []
    threads = torch.get_num_threads()
    for size in sizes:
        reference = None
        for name, batch, variant_threads, channels_last, compiled in VARIANTS:
            torch.set_num_threads(variant_threads)
            try:
                speed = bare_training_speed(size, steps, batch, torch.device("cpu"), channels_last, compiled)
            except Exception as error:  # torch.compile needs a working C++ toolchain
                rows.append({"model": size, "variant": name, "error": str(error).splitlines()[0][:200]})
                continue
            finally:
                torch.set_num_threads(threads)
            reference = reference or speed
            rows.append({"model": size, "variant": name, "samples_per_s": speed, "ratio": speed / reference})
    return rows


def parallel_training(data_dir: str, steps: int, workdir: Path) -> dict:
    """Wall seconds of two tiny runs one after the other, then in two processes."""
    def jobs(where: str) -> list:
        return [(TrainConfig(data=data_dir, teacher_budget=16, model="tiny", steps=steps, seed=seed,
                             eval_every=10**9, checkpoint_every=10**9, log_every=10**9),
                 workdir / f"{where}-{seed}") for seed in (0, 1)]

    start = time.perf_counter()
    train_runs(jobs("serial"), workers=1)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    train_runs(jobs("parallel"), workers=2)
    parallel = time.perf_counter() - start
    return {"runs": 2, "steps": steps, "serial_seconds": serial, "two_process_seconds": parallel,
            "speedup": serial / parallel}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bridge_batch(positions: list[Position]):
    """The batch bridge's arrays for ``positions``: leaf arrays, padded legal moves, counts."""
    legal = [position.legal_moves() for position in positions]
    moves = np.zeros((len(positions), MAX_MOVES), dtype=np.int64)
    for i, row in enumerate(legal):
        moves[i, : len(row)] = row
    return (*position_arrays(positions), moves, np.array([len(m) for m in legal], dtype=np.int64))


def inference_speed(network: Network, positions: list[Position], seconds: float) -> dict:
    """Positions/s through ``network(...)`` (the batch bridge) at batch 1 and 256."""
    figures = {}
    for batch in (1, 256):
        arrays = bridge_batch(positions[:batch])
        network(*arrays)  # warm-up
        calls, start = 0, time.perf_counter()
        while calls < 3 or time.perf_counter() - start < seconds:
            network(*arrays)
            calls += 1
        figures[f"batch_{batch}"] = calls * batch / (time.perf_counter() - start)
    figures["ratio_256_vs_1"] = figures["batch_256"] / figures["batch_1"]
    return figures


def net_mcts_speed(network: Network, sims: int) -> list[dict]:
    """Simulations/s of MCTS with network leaves at leaf batch 1, 8, 32 (batch 1 the reference)."""
    rows = []
    for batch in (1, 8, 32):
        calls = []

        def counted(*arrays):
            calls.append(len(arrays[-1]))
            return network(*arrays)

        searcher = MCTS(evaluator=counted, batch=batch)
        searcher.search(Position(BENCH_FEN), sims=64, reuse=False)  # warm-up
        calls.clear()
        result = searcher.search(Position(BENCH_FEN), sims=sims * max(1, batch // 4), reuse=False)
        rows.append({"batch": batch, "sims": result.sims, "sims_per_s": result.sims / result.seconds,
                     "mean_leaves_per_call": float(np.mean(calls))})
    for row in rows:
        row["ratio_vs_batch_1"] = row["sims_per_s"] / rows[0]["sims_per_s"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and simulations")
    parser.add_argument("--full", action="store_true", help="the medium model too")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: stable figures on shared machines)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sizes = ["tiny", "small", "transformer"] + (["medium"] if args.full else [])
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    steps, sims, seconds = (12, 200, 0.5) if args.quick else (40, 800, 2.0)

    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        data_dir = str(workdir / "data")
        generate(GenerateConfig(positions=600, budgets=(16,), seed=0), data_dir, workers=1)
        samples = load_samples(data_dir, 16)
        fens = load_dataset(data_dir, budget=16, columns=["fen"]).column("fen").to_pylist()
        positions = [Position(fen) for fen in fens[:256]]
        models = {size: build_model(MODEL_SIZES[size]) for size in sizes}
        report = {
            "machine": {"cpu": platform.processor() or platform.machine(), "threads": args.threads,
                        "torch": torch.__version__,
                        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None},
            "models": [{"model": size, "parameters": parameter_count(model),
                        "forward_flops": forward_flops(model)} for size, model in models.items()],
            "training": [training_speed(samples, data_dir, size, steps, 256, device, workdir)
                         for device in devices for size in sizes],
            "inference": [{"model": size, "device": device,
                           **inference_speed(Network(models[size], MODEL_SIZES[size], device), positions,
                                             seconds)}
                          for device in devices for size in sizes],
            "net_mcts": [{"model": size, "device": device,
                          "rows": net_mcts_speed(Network(models[size], MODEL_SIZES[size], device), sims)}
                         for device in devices for size in ("tiny", "small")],
            "parallel_training": parallel_training(data_dir, steps * 10, workdir),
            "cpu_variants": training_variants(["tiny", "small"], steps),
        }
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = [f"torch {report['machine']['torch']}, {report['machine']['threads']} CPU thread(s)"
             + (f", {report['machine']['cuda']}" if report["machine"]["cuda"] else ""), "",
             "| model | parameters | forward FLOPs/position |", "|---|---:|---:|"]
    lines += [f"| {m['model']} | {m['parameters']:,} | {m['forward_flops'] / 1e6:.1f} M |"
              for m in report["models"]]
    lines += ["", "| training (batch 256) | device | samples/s | bare torch samples/s | ratio |",
              "|---|---|---:|---:|---:|"]
    lines += [f"| {t['model']} | {t['device']} | {t['samples_per_s']:,.0f} | "
              f"{t['bare_torch_samples_per_s']:,.0f} | {t['ratio_vs_bare']:.2f} |" for t in report["training"]]
    lines += ["", "| inference | device | positions/s, batch 1 | batch 256 | ratio |",
              "|---|---|---:|---:|---:|"]
    lines += [f"| {i['model']} | {i['device']} | {i['batch_1']:,.0f} | {i['batch_256']:,.0f} | "
              f"{i['ratio_256_vs_1']:.1f}x |" for i in report["inference"]]
    lines += ["", "| net-MCTS | device | leaf batch | sims/s | leaves per call | vs batch 1 |",
              "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {n['model']} | {n['device']} | {r['batch']} | {r['sims_per_s']:,.0f} | "
              f"{r['mean_leaves_per_call']:.1f} | {r['ratio_vs_batch_1']:.1f}x |"
              for n in report["net_mcts"] for r in n["rows"]]
    pair = report["parallel_training"]
    lines += ["", "| two tiny runs of {steps} steps | one after the other | two processes | speed-up |".format(**pair),
              "|---|---:|---:|---:|",
              f"| wall seconds | {pair['serial_seconds']:.1f} | {pair['two_process_seconds']:.1f} | "
              f"{pair['speedup']:.2f}x |"]
    lines += ["", "| CPU training variant (bare loop) | model | samples/s | vs reference |", "|---|---|---:|---:|"]
    lines += [f"| {v['variant']} | {v['model']} | " + (f"{v['samples_per_s']:,.0f} | {v['ratio']:.2f}x |" if "error" not in v
                                                      else f"failed: {v['error']} | - |") for v in report["cpu_variants"]]
    lines += ["", f"peak RSS {report['peak_rss_mb']:.0f} MB"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
