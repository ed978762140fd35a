#!/usr/bin/env bash
# Data-parallel training over MPI on this machine (docs/training-loop.md §12), as .ci/run checks it:
#  1. 2 ranks × 2 images against 1 process × 4, minibatch-std group 2, same seeds, 10 steps with ADA, style
#     mixing, R1 and path length: every tensor of G, G_ema and D agrees (relative L2 ≤ 1e-5, or for tensors
#     smaller than an Adam step, within 1e-5 of a step) and the ADA p of every tick is the same;
#  2. a rank killed mid-run: mpirun ends the job within seconds with an error, the last snapshot validates,
#     and one process resumes from it;
#  3. SIGUSR1 to mpirun: every rank stops after the same step and rank 0 writes a final snapshot;
#  4. 5 steps on 2 ranks, a snapshot, and 5 more on 2 ranks resumed from it equal check 1's 10 straight steps.
# Usage: scripts/check-distributed.sh [path/to/toonkit]   (default .build/release/toonkit)
set -euo pipefail
toonkit=$(realpath "${1:-.build/release/toonkit}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# CI runs as root, which Open MPI refuses unless told; --oversubscribe lets 2 ranks share fewer cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun --oversubscribe)

"$toonkit" dataset synth --kind cartoons -n 16 --resolution 32 --seed 1 -o data.zip >/dev/null
shape=(--channel-base 256 --channel-max 32 --map 2 --latent-dim 32 --mbstd-group 2)
training=(--data data.zip --batch 4 --kimg 0.04 --tick 0.02 --snap 1 --aug ada --p 0.3 --target 0.1 --augpipe bgc --seed 5 --threads 1)

"$toonkit" train "${training[@]}" "${shape[@]}" --outdir one >/dev/null 2>one.err || { cat one.err; exit 1; }
"${mpirun[@]}" -np 2 "$toonkit" train "${training[@]}" "${shape[@]}" --outdir two >/dev/null 2>two.err || { cat two.err; exit 1; }
compare() {  # compare LABEL FOLDER: its last snapshot and ADA p per tick against the one-process run
"$toonkit" diff one/*/snapshot-0000000040.h5 "$2"/*/snapshot-0000000040.h5 --json >diff.json || true
python3 - "$1" one/*/log.jsonl "$2"/*/log.jsonl <<'PYTHON'
import json, sys
tensors = json.load(open("diff.json"))["tensors"]
adam_step = 0.0025 * 4 / 5  # the smallest Adam step of the run (lr 0.0025 · c/(c+1), c = 4)
failed = [t for t in tensors if t["status"] not in ("same", "different")
          or not ((t["rel_l2"] or 0) <= 1e-5 or (t["max_abs"] or 0) <= 1e-5 * adam_step)]
worst = max(tensors, key=lambda t: t["rel_l2"] or 0)
p = [[json.loads(line)["augment_p"] for line in open(path)] for path in sys.argv[2:4]]
print(f"check-distributed: {sys.argv[1]}: {len(tensors)} tensors, largest relative L2 "
      f"{worst['rel_l2']:.2g} ({worst['network']}.{worst['name']}, max abs {worst['max_abs']:.2g}); ADA p per tick {p[0]} vs {p[1]}")
for t in failed:
    print(f"check-distributed: FAILED {t['network']}.{t['name']}: {t['status']} rel_l2 {t['rel_l2']} max_abs {t['max_abs']}")
if failed or p[0] != p[1] or p[0][-1] == 0.3:
    sys.exit(1)
PYTHON
}
compare "2 ranks x 2 vs 1 x 4 after 10 steps" two

# A rank that dies: a longer run, rank 1 killed once the first snapshot is there.
"${mpirun[@]}" -np 2 "$toonkit" train "${training[@]}" "${shape[@]}" --kimg 2 --tick 0.008 --outdir killed >/dev/null 2>killed.err &
launcher=$!
for _ in $(seq 600); do
  compgen -G "killed/*/snapshot-*.h5" >/dev/null && break
  sleep 0.1
done
victim=""
for process in /proc/[0-9]*; do
  tr '\0' ' ' <"$process/cmdline" 2>/dev/null | grep -q "toonkit train .*--outdir killed" || continue
  tr '\0' '\n' <"$process/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1 && { victim=${process#/proc/}; break; }
done
[ -n "$victim" ] || { echo "check-distributed: FAILED: no rank 1 to kill"; cat killed.err; exit 1; }
killed_at=$(date +%s%N)
kill -9 "$victim"
status=0
wait "$launcher" || status=$?
stopped=$(( ($(date +%s%N) - killed_at) / 1000000 ))
[ "$status" -ne 0 ] || { echo "check-distributed: FAILED: the job exited 0 after a rank was killed"; exit 1; }
echo "check-distributed: rank 1 killed: mpirun ended the job in ${stopped} ms with status $status, saying: $(grep -m1 'exited on signal' killed.err)"
[ "$stopped" -lt 30000 ] || { echo "check-distributed: FAILED: the job took more than 30 s to end"; exit 1; }
last=$(ls killed/*/snapshot-*.h5 | sort | tail -1)
"$toonkit" validate "$last" >/dev/null
"$toonkit" train --data data.zip --resume "$last" --kimg 0.06 --tick 0.02 --snap 1 --threads 1 --outdir resumed >/dev/null 2>resumed.err \
  || { cat resumed.err; exit 1; }
echo "check-distributed: $(basename "$last") validates; one process resumed it to $(ls resumed/*/snapshot-*.h5 | sort | tail -1 | xargs basename)"
# A requested stop: mpirun passes SIGUSR1 on to the ranks, which finish the step and write a final snapshot.
"${mpirun[@]}" -np 2 "$toonkit" train "${training[@]}" "${shape[@]}" --kimg 2 --tick 0.008 --snap 1000 --outdir stopped >/dev/null 2>stopped.err &
launcher=$!
for _ in $(seq 600); do
  compgen -G "stopped/*/log.jsonl" >/dev/null && break
  sleep 0.1
done
kill -USR1 "$launcher"
wait "$launcher" || { echo "check-distributed: FAILED: the job stopped by SIGUSR1 exited non-zero"; cat stopped.err; exit 1; }
final=$(ls stopped/*/snapshot-*.h5 | sort | tail -1)
"$toonkit" validate "$final" >/dev/null
echo "check-distributed: SIGUSR1 to mpirun: the ranks stopped together and rank 0 wrote $(basename "$final")"
# An exact resume on ranks: 5 steps, a snapshot, 5 more from it.
"${mpirun[@]}" -np 2 "$toonkit" train "${training[@]}" "${shape[@]}" --kimg 0.02 --outdir first >/dev/null 2>first.err || { cat first.err; exit 1; }
"${mpirun[@]}" -np 2 "$toonkit" train --data data.zip --resume first/*/snapshot-0000000020.h5 --kimg 0.04 --tick 0.02 --snap 1 --threads 1 \
  --outdir resumed2 >/dev/null 2>resumed2.err || { cat resumed2.err; exit 1; }
mkdir -p continued/run && cat first/*/log.jsonl resumed2/*/log.jsonl >continued/run/log.jsonl && cp resumed2/*/snapshot-0000000040.h5 continued/run/
compare "5 steps on 2 ranks, then 5 more resumed on 2 ranks, vs 10 straight on 1" continued
echo "check-distributed: 4 passed, 0 failed"
