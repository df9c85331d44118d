#!/usr/bin/env bash
# Control for the expert-iteration run iter2: the same chain of warm-started students, but every
# generation labelled by the static mcts (fresh self-play seeds) instead of the previous student's search.
set -euo pipefail
cd /work/runs/ctrl
BOOK=/work/main/data/openings/noob_2moves.epd
previous=/work/runs/iter2/gen-000/student
for g in 1 2; do
  mkdir -p gen-00$g
  chessmesa generate --out gen-00$g/data --positions 30000 --budgets 64 --source selfplay:$BOOK --seed $g \
    --holdout 0.1 --json > gen-00$g/generate.json
  chessmesa train --data gen-00$g/data --teacher-budget 64 --model tiny --epochs 3 --target visits --seed $g --threads 1 \
    --init $previous --out gen-00$g/student --json > gen-00$g/train.json
  chessmesa match "policy:ckpt=gen-00$g/student,name=ctrl$g" "mcts:sims=1,name=mcts-1" --games 120 --openings $BOOK \
    --max-moves 150 --concurrency 2 --seed $g --json > gen-00$g/match-floor.json
  previous=/work/runs/ctrl/gen-00$g/student
done
chessmesa match "policy:ckpt=/work/runs/iter2/gen-002/student,name=gen2" "policy:ckpt=gen-002/student,name=ctrl2" \
  --games 120 --openings $BOOK --max-moves 150 --concurrency 2 --seed 7 --json > iter2-vs-ctrl2.json
