#!/usr/bin/env python3
"""Check toonkit's exports with the real loaders: torch.load(weights_only=True) and safetensors.

For every fixture NAME in ../shared/fixtures/stylegan2 it runs
    toonkit import NAME.pkl -o NAME.h5
    toonkit export NAME.h5 -o NAME.rosinality.pt --layout rosinality
    toonkit export NAME.h5 -o NAME.G_ema.pt --layout nvidia --networks G_ema
    toonkit export NAME.h5 -o NAME.all.pt --layout nvidia
    toonkit export NAME.h5 -o NAME.all.safetensors --layout nvidia
in a temporary folder, loads each export with torch.load(weights_only=True) (or
safetensors.torch.load_file) and compares it with the fixtures written by the reference
Python code: NAME.rosinality.pt (export_weights.py) and NAME.state_dict.pt (G_ema.state_dict()).
Exit status 0 when everything matches exactly, 1 otherwise.

    python3 scripts/check_torch_load.py --toonkit .build/release/toonkit
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "stylegan2"


def same_tensors(mine, reference, label, ordered=True):
    """Exact equality of two name → tensor dicts; returns a list of problems."""
    problems = []
    if ordered and list(mine) != list(reference):
        problems.append(f"{label}: key order differs")
    if set(mine) != set(reference):
        problems.append(f"{label}: keys differ: {sorted(set(mine) ^ set(reference))[:5]}")
    for key in set(mine) & set(reference):
        a, b = mine[key], reference[key]
        if a.dtype != b.dtype or a.shape != b.shape or not torch.equal(a, b):
            problems.append(f"{label}: {key} differs ({a.dtype} {tuple(a.shape)} vs {b.dtype} {tuple(b.shape)})")
    return problems


def check_fixture(toonkit, name, folder):
    def run(*arguments):
        subprocess.run([toonkit, *arguments], check=True, stdout=subprocess.DEVNULL)

    checkpoint = folder / f"{name}.h5"
    run("import", str(FIXTURES / f"{name}.pkl"), "-o", str(checkpoint))
    exports = {
        "rosinality": (folder / f"{name}.rosinality.pt", ["--layout", "rosinality"]),
        "G_ema": (folder / f"{name}.G_ema.pt", ["--layout", "nvidia", "--networks", "G_ema"]),
        "all": (folder / f"{name}.all.pt", ["--layout", "nvidia"]),
        "safetensors": (folder / f"{name}.all.safetensors", ["--layout", "nvidia"]),
    }
    for path, options in exports.values():
        run("export", str(checkpoint), "-o", str(path), *options)

    state_dict = torch.load(FIXTURES / f"{name}.state_dict.pt", weights_only=True)
    rosinality = torch.load(FIXTURES / f"{name}.rosinality.pt", weights_only=True)
    results = {}

    mine = torch.load(exports["rosinality"][0], weights_only=True)
    problems = [] if set(mine) == {"g_ema", "latent_avg", "d"} else [f"rosinality: top-level keys {sorted(mine)}"]
    # export_weights.py writes its keys in its own order; the values must match exactly.
    problems += same_tensors(mine["g_ema"], rosinality["g_ema"], "rosinality g_ema", ordered=False)
    problems += same_tensors({"latent_avg": mine["latent_avg"]}, {"latent_avg": rosinality["latent_avg"]}, "rosinality")
    results["rosinality"] = (problems, f"g_ema {len(mine['g_ema'])} tensors, d {len(mine['d'])} tensors")

    mine = torch.load(exports["G_ema"][0], weights_only=True)
    results["G_ema"] = (same_tensors(mine, state_dict, "nvidia G_ema"), f"{len(mine)} tensors")

    mine = torch.load(exports["all"][0], weights_only=True)
    problems = [] if list(mine) == ["G", "D", "G_ema"] else [f"nvidia all: networks {list(mine)}"]
    problems += same_tensors(mine["G_ema"], state_dict, "nvidia all G_ema")
    results["all"] = (problems, ", ".join(f"{k} {len(v)} tensors" for k, v in mine.items()))

    try:
        from safetensors.torch import load_file
    except ImportError:
        results["safetensors"] = (None, "the safetensors package is not installed (pip install safetensors)")
    else:
        flat = load_file(exports["safetensors"][0])
        generator = {key[len("G_ema."):]: value for key, value in flat.items() if key.startswith("G_ema.")}
        results["safetensors"] = (same_tensors(generator, state_dict, "safetensors G_ema", ordered=False),
                                  f"{len(flat)} tensors")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toonkit", default=str(ROOT / ".build" / "debug" / "toonkit"))
    parser.add_argument("--names", nargs="*", default=["tiny32", "tiny64"])
    args = parser.parse_args()
    print(f"torch {torch.__version__}, fixtures {FIXTURES}")
    failed = False
    with tempfile.TemporaryDirectory() as temporary:
        for name in args.names:
            for export, (problems, summary) in check_fixture(args.toonkit, name, pathlib.Path(temporary)).items():
                if problems is None:
                    print(f"{name} {export}: SKIPPED ({summary})")
                    continue
                failed |= bool(problems)
                print(f"{name} {export}: {'MISMATCH' if problems else 'ok'} ({summary})")
                for problem in problems:
                    print(f"    {problem}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
