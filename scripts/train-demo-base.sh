#!/usr/bin/env bash
# Rebuilds fixtures/demo/base-faces32.h5, the small "pretrained face model" that `toonkit demo` and
# `toonkit compare` start from: a 32×32 StyleGAN2 (channel base 2048, max 64, 2 mapping layers,
# 128-d latents; 1.1 M parameters) trained from scratch on procedural faces. It stands in for the
# FFHQ-256 network of the real workflow so that the whole pipeline runs offline in minutes.
#
# Usage: scripts/train-demo-base.sh [KIMG]   (default 96, as shipped; 40–70 s per kimg on 2 cores, so 1–2 hours)
#
# Training can be stopped and resumed exactly: Ctrl-C writes a final snapshot, and
#   toonkit train --data faces32.zip --outdir runs/base --resume runs/base/<run>/snapshot-<latest>.h5 --kimg KIMG
# continues with identical state (the shipped file was trained in three such sessions; its provenance
# log lists them: `toonkit inspect fixtures/demo/base-faces32.h5`).
set -euo pipefail
cd "$(dirname "$0")/.."
KIMG="${1:-96}"
WORK="${WORK:-runs/demo-base}"
mkdir -p "$WORK"
swift build -c release
TOONKIT=.build/release/toonkit

$TOONKIT dataset synth --kind faces -n 20000 --resolution 32 --seed 1 -o "$WORK/faces32.zip"
$TOONKIT train --data "$WORK/faces32.zip" --outdir "$WORK" --cfg auto --aug noaug --mirror \
    --batch 16 --channel-base 2048 --channel-max 64 --map 2 --latent-dim 128 --seed 1 \
    --kimg "$KIMG" --tick 4 --snap 2

# Ship the networks (G, G_ema, D) without the optimizer state: a one-input merge at weight 1 copies
# them bit-exactly and records the step in the provenance log.
LATEST="$(ls "$WORK"/*/snapshot-*.h5 | sort | tail -1)"
$TOONKIT merge "$LATEST" --weights 1 -o fixtures/demo/base-faces32.h5
$TOONKIT validate fixtures/demo/base-faces32.h5
$TOONKIT generate fixtures/demo/base-faces32.h5 --seeds 0-15 --trunc 0.7 --grid "$WORK/base-faces32.png"
echo "wrote fixtures/demo/base-faces32.h5 from $LATEST; samples in $WORK/base-faces32.png"
