#!/usr/bin/env bash
# Rebuilds fixtures/demo/cartoon-faces32.h5, the demo's bundled cartoon model: the bundled face model
# (fixtures/demo/base-faces32.h5) fine-tuned on procedural cartoons with the capstone's recipe (ADA bg,
# FreezeD 4, x-flips, R1 γ 50 scaled from 256² to 32² = 0.78125) at batch 8 (twice the updates per kimg
# of the demo's batch 16), for much longer than the live fine-tune of `toonkit demo` can afford.
# `toonkit demo` swaps layers between the face model and this one, so its sweep shows the effect in
# minutes; its own short fine-tune shows training from an imported checkpoint next to it.
#
# Two sessions, as the shipped file was trained (its provenance log lists both: `toonkit inspect
# fixtures/demo/cartoon-faces32.h5`): FIRST_KIMG at the config's learning rate from ADA p 0.328 (the
# shipped run was planned for 40 kimg and stopped with Ctrl-C at 18.784, where the style still moved
# slowly), then SECOND_KIMG at lr 0.005 from the first session's last snapshot (its networks and p; a
# new run with seed 8, so the images come in another order). About 50 minutes in all with --threads 1.
#
# Usage: scripts/train-demo-cartoon.sh [FIRST_KIMG [SECOND_KIMG]]   (defaults: as shipped)
# 60–110 s per kimg with --threads 1 (THREADS=N to change) on a shared 2-core machine. Ctrl-C during
# a session writes a final snapshot and ends that session; the script goes on from there.
# TOONKIT=path/to/toonkit uses that binary instead of building one (e.g. a copy, so that rebuilding the
# tree during training does not swap the binary under the run).
set -euo pipefail
cd "$(dirname "$0")/.."
FIRST_KIMG="${1:-18.784}"
SECOND_KIMG="${2:-30}"
WORK="${WORK:-runs/demo-cartoon}"
THREADS="${THREADS:-1}"
mkdir -p "$WORK"
if [[ -z "${TOONKIT:-}" ]]; then swift build -c release; TOONKIT=.build/release/toonkit; fi
RECIPE=(--aug ada --augpipe bg --freezed 4 --mirror --gamma 0.78125 --batch 8 --tick 1 --snap 2 --threads "$THREADS")
latest() { ls "$WORK"/*/snapshot-*.h5 | sort | tail -1; }

# The demo's cartoon set (seed 7) is the first 1000 of these: image i depends on (seed, i) alone.
$TOONKIT dataset synth --kind cartoons -n 5000 --resolution 32 --seed 7 -o "$WORK/cartoons32.zip"
$TOONKIT train --data "$WORK/cartoons32.zip" --outdir "$WORK" --resume fixtures/demo/base-faces32.h5 --fine-tune \
    "${RECIPE[@]}" --p 0.328 --seed 7 --kimg "$FIRST_KIMG"
$TOONKIT train --data "$WORK/cartoons32.zip" --outdir "$WORK" --resume "$(latest)" --fine-tune \
    "${RECIPE[@]}" --lr 0.005 --seed 8 --kimg "$SECOND_KIMG"

# Ship G_ema alone (what sweep, swap and generate use), without optimizer state: a one-input merge at
# weight 1 copies it bit-exactly and records the step in the provenance log.
LATEST="$(latest)"
$TOONKIT merge "$LATEST" --weights 1 --networks G_ema -o fixtures/demo/cartoon-faces32.h5
$TOONKIT validate fixtures/demo/cartoon-faces32.h5
$TOONKIT generate fixtures/demo/cartoon-faces32.h5 --seeds 0-15 --trunc 0.7 --grid "$WORK/cartoon-faces32.png" --grid-scale 4
echo "wrote fixtures/demo/cartoon-faces32.h5 from $LATEST; samples in $WORK/cartoon-faces32.png"
