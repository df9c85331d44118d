"""Play: engine specs -> players, matches and tournaments, the UCI server, terminal play.

Engine kinds register when first looked up (:data:`chessmesa.play.specs.KIND_PROVIDERS`). The UCI
server (:mod:`chessmesa.play.uci_server`) and terminal play (:mod:`chessmesa.play.terminal`) are
entry points and are imported on their own.
"""

from chessmesa.play.base import Analyser, Analysis, Choice, Limit, Player, SearchInfo, UciOption, allot_time
from chessmesa.play.specs import EngineSpec, KindInfo, SpecError, parse_spec, register_kind, registered_kinds
from chessmesa.play.players import make_player
from chessmesa.play.game import Adjudication, TimeControl
from chessmesa.play.match import (
    GameRecord,
    MatchResult,
    TournamentResult,
    load_openings,
    run_gauntlet,
    run_match,
    run_round_robin,
)

__all__ = [
    "Adjudication",
    "Analyser",
    "Analysis",
    "Choice",
    "EngineSpec",
    "GameRecord",
    "KindInfo",
    "Limit",
    "MatchResult",
    "Player",
    "SearchInfo",
    "SpecError",
    "TimeControl",
    "TournamentResult",
    "UciOption",
    "allot_time",
    "load_openings",
    "make_player",
    "parse_spec",
    "register_kind",
    "registered_kinds",
    "run_gauntlet",
    "run_match",
    "run_round_robin",
]
