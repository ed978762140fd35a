#!/usr/bin/env python3
"""Check toonkit's `.pkl` export (the TensorFlow layout) with NVIDIA's own loader. Run by hand; not a test.

For every source network file (default: tiny32.pkl, tiny64.pkl and ctiny32.pkl of ../shared/fixtures/stylegan2, plus any
--source given, e.g. a paper256 pickle from scripts/make_stylegan2_pickle.py) it runs, in a temporary folder,
    toonkit import SRC -o a.h5
    toonkit export a.h5 -o a.pkl
    toonkit import a.pkl -o b.h5 ; toonkit diff b.h5 a.h5          (must be bit-identical: exit 0)
    toonkit generate a.h5 --seeds 0,1,2,7 -o images.npy ; toonkit score a.h5 --images images.npy --json
and then, with torch and a checkout of NVlabs/stylegan2-ada-pytorch (--repo), loads a.pkl with
legacy.load_network_pkl, unchanged, and compares
    - G_ema(z, c, noise_mode='const', force_fp32=True) with toonkit's images (max abs difference <= 1e-4),
    - D(images, c, force_fp32=True) with toonkit's logits (max relative difference <= 1e-4),
    - every parameter and buffer of G, D, G_ema with those legacy.py converts from SRC's NAME.tf.pkl twin, when
      there is one (bit-identical; the fixtures' NVIDIA pickles hold no module source, so legacy.py cannot load them).
With --rosinality-repo (a checkout of rosinality/stylegan2-pytorch, its CUDA ops replaced by a plain-PyTorch
stand-in written here) it also exports --layout rosinality and takes its train.py --ckpt path: torch.load with
weights_only=True, strict loads of g, d and g_ema, both Adam states loaded and stepped once, and g_ema drawing
toonkit's images (max abs difference <= 1e-4; unconditional networks only). With h5py it also fine-tunes two
steps in toonkit (FreezeD 2), exports the snapshot and checks that every rosinality parameter carries the
snapshot's Adam step count and moments bit-identically (frozen ones none), finding each parameter in the
snapshot by its values rather than through toonkit's renaming table.
Checks that cannot run (no torch, no repository) are listed as skipped. Exit status 0 when every check that ran
passed, 1 otherwise, 2 when a --repo given cannot be used (no legacy.py, or it does not import).

    python3 scripts/check_exports.py --toonkit .build/release/toonkit --repo /path/to/stylegan2-ada-pytorch \\
        --rosinality-repo /path/to/stylegan2-pytorch
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "stylegan2"
SEEDS = [0, 1, 2, 7]
CLASS = 1


def toonkit(binary, *arguments, allow_failure=False):
    result = subprocess.run([binary, *map(str, arguments)], capture_output=True, text=True)
    if result.returncode != 0 and not allow_failure:
        raise RuntimeError(f"toonkit {' '.join(map(str, arguments))} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def toonkit_side(binary, source, folder):
    """Import, export, re-import and diff; generate and score. Returns (problems, images, logits, export path)."""
    problems = []
    original, export, back = folder / "a.h5", folder / "a.pkl", folder / "b.h5"
    toonkit(binary, "import", source, "-o", original)
    toonkit(binary, "export", original, "-o", export)
    toonkit(binary, "import", export, "-o", back)
    diff = toonkit(binary, "diff", back, original, allow_failure=True)
    print(f"  toonkit diff (re-imported export vs original): exit {diff.returncode}")
    if diff.returncode != 0:
        problems.append(f"re-imported export differs from the original:\n{diff.stdout[-2000:]}")
    images_file = folder / "images.npy"
    # Conditional networks generate and score every image as class CLASS; the NVIDIA side uses the same one-hot labels.
    c_dim = json.loads(toonkit(binary, "inspect", original, "--json").stdout)["architecture"].get("c_dim", 0)
    label = ["--class", str(CLASS)] if c_dim > 0 else []
    toonkit(binary, "generate", original, "--seeds", ",".join(map(str, SEEDS)), "-o", images_file, *label)
    scores = json.loads(toonkit(binary, "score", original, "--images", images_file, "--json", *label).stdout)
    return problems, np.load(images_file), np.array(scores["logits"], dtype=np.float64), export


def load_reference_code(repo):
    """NVIDIA's legacy module and torch from a checkout, or the reason they cannot be used when torch or --repo is
    missing. A --repo given but unusable stops the script with status 2 rather than skipping the checks it asks for."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return None, "torch is not installed (pip install torch --index-url https://download.pytorch.org/whl/cpu)"
    if repo is None:
        return None, "no NVlabs/stylegan2-ada-pytorch checkout (--repo)"
    if not (pathlib.Path(repo) / "legacy.py").exists():
        stop(f"{repo}: no legacy.py here; --repo takes a checkout of NVlabs/stylegan2-ada-pytorch")
    sys.path.insert(0, str(repo))
    try:
        import legacy
    except ImportError as error:
        stop(f"{repo}/legacy.py does not import: {error} (NVIDIA's code needs it: pip install {error.name or 'what it names'})")
    return legacy, None


def stop(message):
    print(f"check_exports.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def nvidia_side(legacy, export, source, images, logits):
    """The checks through legacy.load_network_pkl; returns problems."""
    import torch
    problems = []
    with open(export, "rb") as f:
        networks = legacy.load_network_pkl(f)
    g_ema, d = networks["G_ema"], networks["D"]
    z = torch.from_numpy(np.concatenate([np.random.RandomState(seed).randn(1, g_ema.z_dim) for seed in SEEDS]).astype(np.float32))
    c = torch.zeros([len(SEEDS), g_ema.c_dim])
    if g_ema.c_dim > 0:
        c[:, CLASS] = 1
    with torch.no_grad():
        reference_images = g_ema(z, c, noise_mode="const", force_fp32=True).numpy()
        reference_logits = d(torch.from_numpy(images), c, force_fp32=True).numpy().astype(np.float64).reshape(-1)
    image_error = float(np.abs(reference_images - images).max())
    logit_error = float((np.abs(reference_logits - logits) / np.maximum(np.abs(reference_logits), 1e-12)).max())
    print(f"  legacy.load_network_pkl: G_ema images max abs difference {image_error:.3g}; D logits max relative difference {logit_error:.3g}")
    if image_error > 1e-4:
        problems.append(f"G_ema images differ by {image_error}")
    if logit_error > 1e-4:
        problems.append(f"D logits differ by {logit_error} relative")
    # The fixtures' NVIDIA pickles hold no module source, so legacy.py cannot load them; their NAME.tf.pkl
    # twins convert to the same weights (fixtures README) and serve as the reference instead.
    twin = pathlib.Path(str(source).removesuffix(".pkl") + ".tf.pkl")
    if twin.exists() and twin != pathlib.Path(source):
        problems += same_parameters(legacy, twin, networks)
    else:
        print(f"  skipped: parameter comparison (no {twin.name} beside the source for legacy.py to load)")
    return problems


def same_parameters(legacy, reference_file, networks):
    """Every parameter and buffer of the converted networks equals those legacy.py converts from `reference_file`."""
    import torch
    with open(reference_file, "rb") as f:
        reference = legacy.load_network_pkl(f)
    problems = []
    for key in ["G", "D", "G_ema"]:
        mine = dict(list(networks[key].named_parameters()) + list(networks[key].named_buffers()))
        theirs = dict(list(reference[key].named_parameters()) + list(reference[key].named_buffers()))
        if set(mine) != set(theirs):
            problems.append(f"{key}: names differ: {sorted(set(mine) ^ set(theirs))[:5]}")
        unequal = [name for name in set(mine) & set(theirs) if not torch.equal(mine[name], theirs[name])]
        if unequal:
            problems.append(f"{key}: {len(unequal)} tensors differ, e.g. {sorted(unequal)[:3]}")
    print(f"  parameters and buffers of G, D, G_ema vs legacy.py's conversion of {reference_file.name}: {'bit-identical' if not problems else 'DIFFERENT'}")
    return problems


# rosinality's op package compiles CUDA/C++ extensions on import; for these CPU checks a plain-PyTorch stand-in
# (written here, not taken from that repository) provides the three things model.py uses.
ROSINALITY_OPS = """
import torch
import torch.nn.functional as F
from torch import nn

class FusedLeakyReLU(nn.Module):
    def __init__(self, channel, bias=True, negative_slope=0.2, scale=2 ** 0.5):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channel)) if bias else None
        self.negative_slope, self.scale = negative_slope, scale
    def forward(self, x):
        return fused_leaky_relu(x, self.bias, self.negative_slope, self.scale)

def fused_leaky_relu(x, bias=None, negative_slope=0.2, scale=2 ** 0.5):
    if bias is not None:
        x = x + bias.view(1, -1, *[1] * (x.ndim - 2))
    return F.leaky_relu(x, negative_slope) * scale

def upfirdn2d(x, kernel, up=1, down=1, pad=(0, 0)):
    if len(pad) == 2:
        pad = (pad[0], pad[1], pad[0], pad[1])
    n, c, h, w = x.shape
    x = x.reshape(n * c, 1, h, 1, w, 1)
    x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1]).reshape(n * c, 1, h * up, w * up)
    x = F.pad(x, [max(pad[0], 0), max(pad[1], 0), max(pad[2], 0), max(pad[3], 0)])
    x = x[:, :, max(-pad[2], 0): x.shape[2] - max(-pad[3], 0), max(-pad[0], 0): x.shape[3] - max(-pad[1], 0)]
    x = F.conv2d(x, torch.flip(kernel, [0, 1]).view(1, 1, *kernel.shape))
    x = x[:, :, ::down, ::down]
    return x.reshape(n, c, x.shape[2], x.shape[3])

class conv2d_gradfix:
    conv2d = staticmethod(F.conv2d)
    conv_transpose2d = staticmethod(F.conv_transpose2d)
"""


def rosinality_module(repo, folder, architecture):
    """rosinality's model.py with its CUDA ops replaced by ROSINALITY_OPS and its channel table by the network's."""
    import importlib.util
    import re
    channels = {4 << i: min(architecture["channel_base"] // (4 << i), architecture["channel_max"])
                for i in range(architecture["resolution"].bit_length() - 2)}
    code = folder / "rosinality"
    (code / "op").mkdir(parents=True, exist_ok=True)
    (code / "op" / "__init__.py").write_text(ROSINALITY_OPS)
    source = (pathlib.Path(repo) / "model.py").read_text()
    # Its channel table is fixed for 256-wide networks; the exported network's table replaces it.
    source = re.sub(r"(self\.channels|\n        channels) = \{[^}]*\}", lambda m: f"{m.group(1)} = {channels!r}", source)
    (code / "rosinality_model.py").write_text(source)
    sys.path.insert(0, str(code))  # for its `from op import …`
    spec = importlib.util.spec_from_file_location(f"rosinality_model_{folder.name}", code / "rosinality_model.py")
    model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(model)
    sys.path.pop(0)
    return model


def rosinality_resume(model, architecture, export):
    """What train.py --ckpt does: weights_only load, strict loads of g, d, g_ema, Adam built as it builds them and
    loaded from g_optim / d_optim. Returns (g, d, g_ema, [g_optim, d_optim], checkpoint)."""
    import torch
    checkpoint = torch.load(export, map_location="cpu", weights_only=True)
    resolution, width = architecture["resolution"], architecture["w_dim"]
    g, d, g_ema = (model.Generator(resolution, width, architecture["mapping_layers"]), model.Discriminator(resolution),
                   model.Generator(resolution, width, architecture["mapping_layers"]))
    for network, key in [(g, "g"), (d, "d"), (g_ema, "g_ema")]:
        network.load_state_dict(checkpoint[key])
    optimizers = []
    for network, key, interval in [(g, "g_optim", 4), (d, "d_optim", 16)]:
        ratio = interval / (interval + 1)
        optimizer = torch.optim.Adam(network.parameters(), lr=0.002 * ratio, betas=(0 ** ratio, 0.99 ** ratio))
        optimizer.load_state_dict(checkpoint[key])
        optimizers.append(optimizer)
    return g, d, g_ema, optimizers


def rosinality_side(binary, repo, original, folder, images):
    """rosinality's train.py --ckpt path on the rosinality export: every key loads strictly, both Adam states
    load and step, and g_ema (noise from its buffers) draws toonkit's images. Returns problems."""
    import torch
    architecture = json.loads(toonkit(binary, "inspect", original, "--json").stdout)["architecture"]
    if architecture.get("c_dim", 0) > 0:
        print("  skipped: rosinality checks (the rosinality layout has no labels)")
        return []
    export = folder / "r.pt"
    toonkit(binary, "export", original, "-o", export, "--layout", "rosinality")
    model = rosinality_module(repo, folder, architecture)
    g, d, g_ema, optimizers = rosinality_resume(model, architecture, export)
    width = architecture["w_dim"]
    z = torch.from_numpy(np.concatenate([np.random.RandomState(seed).randn(1, width) for seed in SEEDS]).astype(np.float32))
    loss = torch.nn.functional.softplus(-d(g([z])[0])).mean()
    optimizers[0].zero_grad(); loss.backward(); optimizers[0].step()
    loss = torch.nn.functional.softplus(d(g([z])[0].detach())).mean()
    optimizers[1].zero_grad(); loss.backward(); optimizers[1].step()
    with torch.no_grad():
        drawn = g_ema([z], randomize_noise=False)[0].numpy()
    error = float(np.abs(drawn - images).max())
    print(f"  rosinality train.py --ckpt path: g, d, g_ema, g_optim, d_optim load strictly (weights_only), one Adam step each; g_ema images max abs difference {error:.3g}")
    problems = [] if error <= 1e-4 else [f"rosinality g_ema images differ by {error}"]
    return problems + rosinality_adam_side(binary, model, architecture, original, folder)


def rosinality_adam_side(binary, model, architecture, original, folder):
    """A toonkit snapshot's Adam state in the rosinality export: toonkit fine-tunes two steps with FreezeD, the
    snapshot is exported, and each parameter of rosinality's g and d (found in the snapshot by its values, not
    by toonkit's renaming table) must carry the snapshot's step count and moments, or no state if frozen."""
    try:
        import h5py
    except ImportError:
        print("  skipped: Adam state check (needs h5py to read the snapshot independently)")
        return []
    import torch
    data, runs = folder / "data.zip", folder / "runs"
    toonkit(binary, "dataset", "synth", "--kind", "cartoons", "-n", 8, "--resolution", architecture["resolution"], "--seed", 1, "-o", data)
    toonkit(binary, "train", "--data", data, "--resume", original, "--kimg", 0.008, "--batch", 4, "--tick", 0.004,
            "--snap", 1, "--freezed", 2, "--aug", "noaug", "--outdir", runs)
    snapshot = sorted(runs.glob("*/snapshot-*.h5"))[-1]
    export = folder / "trained.pt"
    toonkit(binary, "export", snapshot, "-o", export, "--layout", "rosinality")
    g, d, _, optimizers = rosinality_resume(model, architecture, export)
    problems, carried = [], 0
    with h5py.File(snapshot, "r") as file:
        for network, rosinality_network, optimizer in [("G", g, optimizers[0]), ("D", d, optimizers[1])]:
            step = int(file["training"].attrs[f"adam_step_{network}"])
            stored = {name: np.asarray(tensor).ravel() for name, tensor in file["networks"][network].items()}
            moments = file["training"]["tensors"]["adam"][network]
            for parameter in rosinality_network.parameters():
                values = parameter.detach().numpy().ravel()
                names = [name for name, tensor in stored.items() if tensor.shape == values.shape and np.array_equal(tensor, values)]
                state = optimizer.state.get(parameter, {})
                expected = [(np.asarray(moments[name]["m"]).ravel(), np.asarray(moments[name]["v"]).ravel()) if name in moments else None
                            for name in names]
                if not names:
                    problems.append(f"a {network} parameter of shape {tuple(parameter.shape)} matches no tensor of the snapshot")
                elif expected[0] is None:
                    if state or any(e is not None for e in expected):
                        problems.append(f"{network}.{names[0]} has no moments in the snapshot but an Adam state in the export")
                elif not state:
                    problems.append(f"{network}.{names[0]} has moments in the snapshot but no Adam state in the export")
                else:
                    m, v = state["exp_avg"].numpy().ravel(), state["exp_avg_sq"].numpy().ravel()
                    if int(state["step"]) != step or not any(np.array_equal(m, e[0]) and np.array_equal(v, e[1]) for e in expected if e):
                        problems.append(f"{network}.{names[0]}: Adam state differs from the snapshot's (step {int(state['step'])} vs {step})")
                    else:
                        carried += 1
    # One step of each, as train.py's loop does next.
    z = torch.randn(2, architecture["w_dim"])
    loss = torch.nn.functional.softplus(-d(g([z])[0])).mean()
    optimizers[0].zero_grad(); loss.backward(); optimizers[0].step()
    print(f"  toonkit snapshot after 2 fine-tuning steps (FreezeD 2) -> rosinality: {carried} parameters carry the snapshot's "
          f"step count and moments bit-identically, frozen ones none; {len(problems)} problems")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toonkit", default=str(ROOT / ".build" / "release" / "toonkit"))
    parser.add_argument("--repo", help="a checkout of NVlabs/stylegan2-ada-pytorch")
    parser.add_argument("--source", action="append", default=[], help="another network file to check (repeatable)")
    parser.add_argument("--rosinality-repo", help="a checkout of rosinality/stylegan2-pytorch (for the --layout rosinality export)")
    arguments = parser.parse_args()
    sources = [FIXTURES / f"{name}.pkl" for name in ["tiny32", "tiny64", "ctiny32"] if (FIXTURES / f"{name}.pkl").exists()] + arguments.source
    skipped = [] if sources else ["fixtures: none found in ../shared/fixtures/stylegan2 and no --source given"]
    legacy, reason = load_reference_code(arguments.repo)
    if legacy is None:
        skipped.append(f"legacy.load_network_pkl checks: {reason}")
    if legacy is None or not arguments.rosinality_repo:
        skipped.append("rosinality checks: " + (reason if legacy is None else "no rosinality/stylegan2-pytorch checkout (--rosinality-repo)"))
    failures = []
    for source in sources:
        print(f"{source}:")
        with tempfile.TemporaryDirectory() as folder:
            problems, images, logits, export = toonkit_side(arguments.toonkit, source, pathlib.Path(folder))
            if legacy is not None:
                problems += nvidia_side(legacy, export, source, images, logits)
            if legacy is not None and arguments.rosinality_repo:
                problems += rosinality_side(arguments.toonkit, arguments.rosinality_repo, pathlib.Path(folder) / "a.h5",
                                            pathlib.Path(folder), images)
        failures += [f"{source}: {problem}" for problem in problems]
    for item in skipped:
        print(f"skipped: {item}")
    for failure in failures:
        print(f"FAILED: {failure}")
    print("all checks that ran passed" if not failures else f"{len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
