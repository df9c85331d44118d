"""Numbers at the edges: search limits, engine specs, UCI option values and time controls are
bounded where they are read, each refusal one line naming the value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chessmesa.play.game import TimeControl
from chessmesa.play.base import INT32_MAX, Limit
from chessmesa.play.players import make_player
from chessmesa.play.specs import SpecError


@pytest.mark.parametrize("field,value", [
    ("nodes", 0), ("nodes", -5), ("movetime_ms", 0), ("nodes", INT32_MAX + 1), ("winc_ms", -1),
    ("movestogo", 0), ("mate", 0), ("depth", 10**20),
])
def test_limits_out_of_range_are_refused(field, value):
    with pytest.raises(ValueError, match=f"{field} {value} out of range"):
        Limit(**{field: value})


def test_clocks_may_be_negative():
    assert Limit(wtime_ms=-100, btime_ms=-100).wtime_ms == -100  # a GUI's "your time is up"


@pytest.mark.parametrize("spec,named", [
    ("mcts:sims=0", "'sims'"), ("mcts:movetime=-1", "'movetime'"), ("mcts:max_nodes=1", "'max_nodes'"),
    ("mcts:batch=0", "'batch'"), ("mcts:cpuct=nan", "cpuct=nan"), ("mcts:seed=-1", "seed=-1"),
    ("mcts:policy_temperature=0", "policy_temperature=0.0"), ("random:seed=1", None),
])
def test_engine_specs_out_of_range_are_refused(spec, named):
    if named is None:
        make_player(spec).close()
        return
    with pytest.raises(SpecError) as error:
        make_player(spec)
    assert named in str(error.value) and "\n" not in str(error.value)


def test_a_refused_uci_option_changes_nothing():
    player = make_player("mcts")
    before = dict(player.options)
    for name, value in [("cpuct", "inf"), ("cpuct", "abc"), ("gumbel_m", 0), ("policy_temperature", "-1")]:
        with pytest.raises(ValueError, match=name):
            player.set_option(name, value)
    assert player.options == before
    player.set_option("cpuct", "2.5")
    assert player.searcher.params.cpuct == 2.5


@pytest.mark.parametrize("text", ["nodes=99999999999", "movetime=0", "3000000+0", "99999999999/60+1", "0/60"])
def test_time_controls_out_of_range_are_refused(text):
    with pytest.raises(ValueError, match="bad time control"):
        TimeControl.parse(text)


def test_cli_refuses_a_budget_beyond_32_bits():
    result = subprocess.run([sys.executable, "-m", "chessmesa.cli", "search", "startpos", "--sims",
                             "99999999999"], capture_output=True, text=True)
    assert result.returncode == 2 and "99999999999" in result.stderr and "Traceback" not in result.stderr
