"""The root rules of a player without search: a mate in one, and no draw thrown away when winning."""

import chess
from chessmesa.play.root_rules import draws_away, guarded_move, is_winning, repeats


def _moves(*ucis):
    return [chess.Move.from_uci(u) for u in ucis]


def test_a_mate_in_one_is_played_whatever_the_ranking():
    board = chess.Board("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1")
    ranked = sorted(board.legal_moves, key=lambda m: m.uci() != "a1a2")  # the network likes Ra2
    assert guarded_move(board, ranked, winning=False).uci() == "a1a8"


def test_when_winning_a_third_repetition_and_a_stalemate_are_passed_over():
    board = chess.Board("7k/8/5K2/8/8/8/8/5Q2 w - - 0 1")
    for uci in ("f1f2", "h8g8", "f2f1", "g8h8", "f1f2", "h8g8", "f2f1", "g8h8"):
        board.push_uci(uci)
    repeat = chess.Move.from_uci("f1f2")  # the position after it occurs a third time
    assert draws_away(board, repeat) and is_winning(board, 0.0)  # a queen up
    ranked = [repeat, *(m for m in board.legal_moves if m != repeat)]
    chosen = guarded_move(board, ranked, winning=True)
    assert chosen != repeat and not draws_away(board, chosen)
    assert guarded_move(board, ranked, winning=False) == repeat  # not winning: the network's move

    lone = chess.Board("7k/8/8/8/8/8/8/KQ6 w - - 0 1")
    stalemate = chess.Move.from_uci("b1g6")
    assert draws_away(lone, stalemate)
    ranked = [stalemate, *(m for m in lone.legal_moves if m != stalemate)]
    assert guarded_move(lone, ranked, winning=True) != stalemate


def test_when_winning_a_position_seen_before_and_the_opponents_claim_are_passed_over():
    board = chess.Board("7k/8/5K2/8/8/8/8/5Q2 w - - 0 1")
    for uci in ("f1f2", "h8g8", "f2f1", "g8h8"):
        board.push_uci(uci)
    back = chess.Move.from_uci("f1f2")  # the position after it was seen once already
    assert repeats(board, back) and not draws_away(board, back)
    ranked = [back, *(m for m in board.legal_moves if m != back)]
    chosen = guarded_move(board, ranked, winning=True)
    assert not repeats(board, chosen) and not draws_away(board, chosen)

    for uci in ("f1f2", "h8g8"):
        board.push_uci(uci)
    again = chess.Move.from_uci("f2f1")  # a second occurrence only, but Kh8 would make the third
    after = board.copy()
    after.push(again)
    assert not after.is_repetition(3) and after.can_claim_threefold_repetition()
    assert draws_away(board, again)
    ranked = [again, *(m for m in board.legal_moves if m != again)]
    assert guarded_move(board, ranked, winning=True) != again


def test_the_policy_player_plays_the_mate_an_untrained_network_misses(tmp_path, one_torch_thread):
    from chessmesa.nn import MODEL_SIZES, build_model
    from chessmesa.nn.checkpoint import MODEL_FILE, save_model
    from chessmesa.play.players import Limit, make_player

    save_model(tmp_path / MODEL_FILE, build_model(MODEL_SIZES["tiny"]), MODEL_SIZES["tiny"])
    player = make_player(f"policy:ckpt={tmp_path}")
    for fen, mate in (("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1", "a1a8"),
                      ("r5k1/5ppp/8/8/8/8/5PPP/6K1 b - - 0 1", "a8a1")):
        assert player.choose(chess.Board(fen), Limit()).move.uci() == mate
    player.close()
