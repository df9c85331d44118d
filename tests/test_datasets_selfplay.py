"""Self-play games: a root the solver proved won is played, whatever the move temperature."""

import chess

from chessmesa.datasets import GenerateConfig, SourceSpec, generate, load_dataset

MATE_IN_TWO = "k7/8/2K5/8/8/8/8/7R w - - 0 1"  # 1.Kb6 Kb8 2.Rh8#, a move few visits reach


def test_a_proved_win_is_played_at_any_temperature(tmp_path):
    book = tmp_path / "mate.epd"
    book.write_text(MATE_IN_TWO + "\n")
    config = GenerateConfig(positions=3, budgets=(64,), temperature=1.0,
                            sources=(SourceSpec.parse(f"selfplay:{book}"),))
    generate(config, tmp_path / "out", workers=1)
    rows = load_dataset(tmp_path / "out").to_pylist()
    board = chess.Board(MATE_IN_TWO)
    for row in sorted(rows, key=lambda row: row["ply"]):
        assert row["fen"] == board.fen()
        board.push_uci(row["best_move"])
    assert board.is_checkmate()
