"""Engine specs: parsing, typing, engine files and the errors that name what was wrong."""

import tomllib
from pathlib import Path

import pytest

from chessmesa.play import external
from chessmesa.play.players import RandomPlayer, make_player
from chessmesa.play.specs import (
    ANY, EngineSpec, SpecError, load_engine_file, parse_spec, register_kind, registered_kinds,
)

ENGINES = Path(__file__).resolve().parents[1] / "engines"

register_kind(
    "test-typed",
    lambda spec, seed: RandomPlayer(spec.name, seed),
    {"count": int, "ratio": float, "flag": bool, "label": str, "extra.*": ANY},
    "a kind with one key of each type",
)


def test_spec_string_values_are_typed_by_the_kind():
    spec = parse_spec("test-typed:count=3,ratio=0.5,flag=true,label=abc,extra.a=7,extra.b=off,extra.c=1.5")
    assert spec == EngineSpec(
        "test-typed",
        {"count": 3, "ratio": 0.5, "flag": True, "label": "abc", "extra.a": 7, "extra.b": "off", "extra.c": 1.5},
        "test-typed:count=3,ratio=0.5,flag=true,label=abc,extra.a=7,extra.b=off,extra.c=1.5",
    )
    assert type(parse_spec("test-typed:ratio=2").options["ratio"]) is float


def test_builtin_kinds_and_their_keys():
    assert {"random", "stockfish", "uci"} <= set(registered_kinds())
    spec = parse_spec("stockfish:skill=3,nodes=2000,elo=1500,option.Move Overhead=5")
    assert spec.options == {"skill": 3, "nodes": 2000, "elo": 1500, "option.Move Overhead": 5}
    assert parse_spec("uci:cmd=/usr/games/stockfish,depth=4").options == {"cmd": "/usr/games/stockfish", "depth": 4}


def test_name_key_sets_the_display_name_and_canonical_string_round_trips():
    spec = parse_spec("stockfish:skill=3,name=sf3,nodes=10")
    assert spec.name == "sf3" and "name" not in spec.options
    again = parse_spec(str(spec))
    assert (again.kind, again.options) == (spec.kind, spec.options)


def test_unknown_kind_names_it_and_lists_valid_kinds():
    with pytest.raises(SpecError) as error:
        parse_spec("alphazero:sims=10")
    message = str(error.value)
    assert "'alphazero'" in message and "random" in message and "stockfish" in message and "uci" in message
    assert "\n" not in message
    assert isinstance(error.value, ValueError)


def test_unknown_bare_name_lists_kinds_and_engine_files():
    with pytest.raises(SpecError, match=r"'nosuchengine'.*random.*sf1"):
        parse_spec("nosuchengine")


def test_unknown_key_names_it_and_lists_valid_keys():
    with pytest.raises(SpecError, match=r"unknown key 'depth' for engine kind 'random' .*; valid keys: name, seed"):
        parse_spec("random:depth=3")


@pytest.mark.parametrize(
    "text, bad",
    [("stockfish:skill=high", "'high'"), ("test-typed:ratio=fast", "'fast'"), ("test-typed:flag=maybe", "'maybe'")],
)
def test_bad_value_type_names_value_and_key(text, bad):
    with pytest.raises(SpecError) as error:
        parse_spec(text)
    assert bad in str(error.value) and "expected" in str(error.value)


def test_item_without_equals_is_an_error():
    with pytest.raises(SpecError, match="'seed'.*key=value"):
        parse_spec("random:seed")


def test_missing_toml_file():
    with pytest.raises(SpecError, match="not found"):
        parse_spec("engines/does-not-exist.toml")


def test_toml_file_with_option_table(tmp_path):
    path = tmp_path / "weak.toml"
    path.write_text('kind = "stockfish"\nskill = 2\n\n[option]\n"Move Overhead" = 30\n')
    spec = parse_spec(str(path))
    assert spec == EngineSpec("stockfish", {"skill": 2, "option.Move Overhead": 30}, "weak")


@pytest.mark.parametrize(
    "content, match",
    [
        ('kind = "stockfish"\nskill = "one"\n', "'one'.*'skill'.*bad.toml"),
        ('skill = 1\n', "no kind"),
        ('kind = "stockfish"\nskill = \n', "not valid TOML"),
        ('kind = "stockfish"\ncolour = 1\n', "unknown key 'colour'"),
        ('kind = "alphazero"\n', "unknown engine kind 'alphazero' in engine file .*bad.toml.*; valid kinds: .*random"),
    ],
)
def test_bad_toml_files(tmp_path, content, match):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(SpecError, match=match):
        parse_spec(str(path))


@pytest.mark.parametrize("path", sorted(ENGINES.glob("*.toml")), ids=lambda path: path.stem)
def test_shipped_engine_files_parse(path):
    kind = tomllib.loads(path.read_text())["kind"]
    assert kind in registered_kinds()  # every shipped file names a kind chessmesa plays
    spec = parse_spec(path.stem)
    assert spec.kind == kind and spec.name == path.stem


def test_engine_names_resolve_to_files():
    spec = parse_spec("sf1")
    assert spec.kind == "stockfish" and spec.options["skill"] == 1 and "nodes" in spec.options


def test_missing_stockfish_binary_says_how_to_install(monkeypatch):
    monkeypatch.setattr(external.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(SpecError, match="apt-get install stockfish"):
        make_player("stockfish:nodes=1")


def test_uci_kind_needs_an_existing_command():
    with pytest.raises(SpecError, match="cmd="):
        make_player("uci:nodes=1")
    with pytest.raises(SpecError, match="/no/such/engine"):
        make_player("uci:cmd=/no/such/engine")


def test_an_engine_files_checkpoint_is_found_beside_it(tmp_path):
    (tmp_path / "student.toml").write_text('kind = "policy"\nckpt = "students/tiny"\n')
    spec = load_engine_file(tmp_path / "student.toml")
    assert spec.options["ckpt"] == str(tmp_path / "students" / "tiny") and spec.name == "student"


def test_the_shipped_students_play_from_a_fresh_clone():
    """Every engine file that names a checkpoint finds it beside itself and plays a legal move."""
    import chess

    from chessmesa.play.players import Limit
    from chessmesa.play.specs import find_engine_file

    students = [path.stem for path in Path(__file__).resolve().parents[1].joinpath("engines").glob("*.toml")
                if "ckpt" in tomllib.loads(path.read_text())]
    assert students, "the full demo's best students ship in engines/"
    for name in students:
        player = make_player(name)
        board = chess.Board("r1bqkbnr/pppp1ppp/2n5/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R w KQkq - 2 3")
        assert player.choose(board, Limit()).move in board.legal_moves
        assert find_engine_file(name) is not None
        player.close()
