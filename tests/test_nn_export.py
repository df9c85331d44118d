"""ONNX export: the graph ONNX Runtime runs gives PyTorch's answers, and bad input is refused."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import onnxruntime
import pytest
from click.testing import CliRunner

from chessmesa.cli import main
from chessmesa.nn import MODEL_SIZES, build_model, encode_positions
from chessmesa.nn.checkpoint import MODEL_FILE, save_model
from chessmesa.nn.export import export_onnx, output_names
from chessmesa.core import Position


@pytest.mark.slow
def test_the_exported_student_answers_as_pytorch_on_1000_positions(tmp_path):
    config = replace(MODEL_SIZES["tiny"], action_values=True)
    save_model(tmp_path / MODEL_FILE, build_model(config), config)
    result = CliRunner().invoke(main, ["export", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert report["positions"] == 1000 and report["argmax_equal"] == 1000
    assert report["max_logit_diff"] < 1e-4 and report["max_value_diff"] < 1e-4
    session = onnxruntime.InferenceSession(report["path"], providers=["CPUExecutionProvider"])
    planes = encode_positions([Position(), Position("4k3/8/8/8/8/8/4P3/4K3 w - - 0 1")])
    outputs = dict(zip(output_names(True), session.run(None, {"planes": planes})))  # any batch size
    assert outputs["policy"].shape == (2, 4672) and outputs["action_values"].shape == (2, 4672)
    assert np.all(np.abs(outputs["value"]) <= 1)


def test_a_missing_checkpoint_is_bad_input(tmp_path):
    result = CliRunner().invoke(main, ["export", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "checkpoint not found" in result.output
    with pytest.raises(ValueError, match="checkpoint not found"):
        export_onnx(tmp_path / "nothing", tmp_path / "x.onnx")
