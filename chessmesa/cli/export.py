"""``chessmesa export``: a student for use outside PyTorch."""

from __future__ import annotations

from pathlib import Path

import click

from chessmesa.cli import main
from chessmesa.cli.support import BadInput, console, print_json


@main.command()
@click.argument("run")
@click.option("--format", "format_", type=click.Choice(["onnx"]), default="onnx", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), metavar="FILE",
              help="The file to write (default: RUN/model.onnx, or beside a model file).")
@click.option("--check", type=click.IntRange(1), default=1000, show_default=True,
              help="Positions on which ONNX Runtime must agree with PyTorch (the policy's best legal move, "
                   "logits and value within 1e-4).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random games the check draws from.")
@click.option("--json", "as_json", is_flag=True, help="Print the check as JSON.")
def export(run, format_, out, check, seed, as_json):
    """Write the student of RUN (a run folder or model file) as ONNX, checked with ONNX Runtime.

    Inputs: planes float32[batch, 24, 8, 8]; outputs: policy logits [batch, 4672], value [batch]
    (and action_values with the Q head). Needs: pip install "chessmesa[export]".

    Example: chessmesa export runs/t256 --out t256.onnx
    """
    try:
        import onnxruntime  # noqa: F401  (here, to refuse before any work)
        import onnxscript  # noqa: F401
    except ImportError as error:
        raise BadInput(f"export needs {error.name}: pip install \"chessmesa[export]\"") from None
    from chessmesa.nn.checkpoint import resolve_checkpoint
    from chessmesa.nn.export import export_onnx

    try:
        model_file = resolve_checkpoint(run)
    except ValueError as error:
        raise BadInput(str(error)) from None
    target = Path(out) if out else model_file.with_suffix(".onnx")
    report = export_onnx(model_file, target, check, seed)
    if as_json:
        print_json(report)
    else:
        console.print(f"wrote {report['path']}: on {report['positions']} positions ONNX Runtime's best move equals "
                      f"PyTorch's in {report['argmax_equal']}; largest differences: logits "
                      f"{report['max_logit_diff']:.1e}, value {report['max_value_diff']:.1e}")
