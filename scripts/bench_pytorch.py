#!/usr/bin/env python3
"""toonkit's engine against PyTorch on this machine, in one run, side by side (issue: engine speed). Not a test.

    python3 scripts/bench_pytorch.py --toonkit .build/release/toonkit --repo /path/to/stylegan2-ada-pytorch

Workloads, each timed as the median of repeated calls after a warm-up, for at least --seconds:
  - generate paper256 (256², channel_base 16384, 8 mapping layers), batch 1 and 4, float32, const noise:
    `toonkit bench generate --network paper256` against NVIDIA's networks.Generator (randomly initialised, the
    same shape) called with noise_mode='const', force_fp32=True under torch.no_grad();
  - FID's Inception-v3 features of 256² images (resized to 299² inside), batch 8: `toonkit bench inception`
    against pytorch-fid's InceptionV3([pool3]) with random weights (pytorch-fid would download its weights;
    the arithmetic does not depend on their values).
The last column, "at sgemm", is toonkit's count of the workload's direct multiply-adds at the rate of OpenBLAS sgemm
2048³ on this machine: both programs do that arithmetic, so it is the yardstick for how far either is from the
machine's float32 speed (a Winograd layer does fewer multiplies, so a program can pass it). "round trip" is the range
of toonkit's CPU round trip over the rounds (docs/engine-kernels.md "The host's slow state"): on a virtual machine whose
CPUs the host places near or far, a round whose toonkit side read hundreds of ns ran in the slow placement.
On a shared machine the load changes between measurements, so each workload runs --rounds times with the two sides
alternated (which side goes first alternates too), and the table shows each side's median and the median and range of
the per-round ratios. Both sides use --threads threads. The PyTorch sides run when torch, the repository (--repo) and pytorch-fid (with
torchvision) are present; whatever cannot run is listed as skipped. PyPI's torchvision beside a CPU-only torch loads
without its compiled detection operators, which Inception does not use (see import_torchvision). The release binary
should come from `swift build -c release`.
"""
import argparse
import json
import platform
import statistics
import subprocess
import sys
import time


def cpu_description():
    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and model in ("unknown CPU", platform.processor()):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    isa = [name for name in ("avx512f", "avx512bw", "avx512vl", "avx2", "fma") if name in flags]
    return f"{model}; {' '.join(isa) or 'no AVX'}"


def median_seconds(call, minimum):
    call()
    samples, start = [], time.perf_counter()
    while len(samples) < 3 or time.perf_counter() - start < minimum:
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return sorted(samples)[len(samples) // 2]


def toonkit_json(binary, *arguments):
    result = subprocess.run([binary, "bench", *map(str, arguments), "--json"], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def toonkit_side(measured, batch):
    """(img/s, img/s at sgemm's rate, median CPU round trip in ns or None) of a toonkit report's row."""
    round_trip = measured.get("cpuRoundTrip")
    return (measured["imagesPerSecond"], batch / measured["arithmetic"]["secondsAtSgemmRate"],
            round_trip["medianNanoseconds"] if round_trip else None)


def torch_generator(repo):
    sys.path.insert(0, repo)
    from training import networks  # noqa: E402  (NVIDIA's code, run unchanged from the given checkout)
    generator = networks.Generator(z_dim=512, c_dim=0, w_dim=512, img_resolution=256, img_channels=3,
                                   mapping_kwargs=dict(num_layers=8),
                                   synthesis_kwargs=dict(channel_base=16384, channel_max=512, num_fp16_res=4, conv_clamp=256))
    return generator.eval().requires_grad_(False)


def import_torchvision():
    """PyPI's torchvision for Linux is a CUDA build; beside a CPU-only torch its compiled operators (nms, roi_align,
    ...) cannot load, and the module registering their shapes stops the import. Inception uses none of them, so
    when that happens the registrations are skipped and the pure-Python models are used unchanged."""
    try:
        import torchvision
        return torchvision, None
    except RuntimeError as error:
        if "torchvision::" not in str(error):
            raise
        import types
        for name in [name for name in sys.modules if name == "torchvision" or name.startswith("torchvision.")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
        import torchvision
        return torchvision, f"torchvision {torchvision.__version__} without its compiled operators ({error})"


def torch_inception():
    import torch
    _, note = import_torchvision()
    if note:
        print(f"note: {note}", file=sys.stderr)
    import pytorch_fid.inception as fid_inception
    # Random weights instead of the download: the timing does not depend on their values.
    fid_inception.load_state_dict_from_url = lambda *args, **kwargs: {}
    original = torch.nn.Module.load_state_dict
    torch.nn.Module.load_state_dict = lambda self, *args, **kwargs: None
    try:
        model = fid_inception.InceptionV3([fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    finally:
        torch.nn.Module.load_state_dict = original
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toonkit", default=".build/release/toonkit")
    parser.add_argument("--repo", help="a checkout of NVlabs/stylegan2-ada-pytorch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5, help="minimum seconds per measurement (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternated measurements of each side per workload (default 3)")
    arguments = parser.parse_args()
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    rows, skipped = [], []
    print(f"CPU: {cpu_description()}; {arguments.threads} threads on each side")
    try:
        import torch
        torch.set_num_threads(arguments.threads)
        print(f"torch {torch.__version__}")
    except ImportError as error:
        torch = None
        skipped.append(f"every PyTorch side: {error}")

    generator = None
    if torch is not None and arguments.repo:
        try:
            generator = torch_generator(arguments.repo)
        except Exception as error:  # a missing or broken checkout is reported, not fatal
            skipped.append(f"PyTorch generator: {error}")
    elif torch is not None:
        skipped.append("PyTorch generator: no --repo (a checkout of NVlabs/stylegan2-ada-pytorch)")
    for batch in (1, 4):
        def ours(batch=batch):
            report = toonkit_json(arguments.toonkit, "generate", "--network", "paper256", "--batch", batch,
                                  "--seconds", arguments.seconds, "--threads", arguments.threads)
            print(f"toonkit: OpenBLAS core {report['blasCore']}, {report['threads']} threads")
            return toonkit_side(report["rows"][0], batch)
        theirs = None
        if generator is not None:
            z = torch.randn(batch, 512, generator=torch.Generator().manual_seed(batch))
            c = torch.zeros(batch, 0)

            def theirs(batch=batch, z=z, c=c):
                with torch.no_grad():
                    return batch / median_seconds(lambda: generator(z, c, noise_mode="const", force_fp32=True), arguments.seconds)
        rows.append(alternate(f"generate paper256, batch {batch} (img/s)", ours, theirs, arguments.rounds))

    inception = None
    if torch is not None:
        try:
            inception = torch_inception()
        except Exception as error:
            skipped.append(f"pytorch-fid Inception: {error}")
    def ours_inception():
        report = toonkit_json(arguments.toonkit, "inception", "--size", 256, "--batch", 8, "--seconds", arguments.seconds,
                              "--threads", arguments.threads)
        return toonkit_side(report, report["batch"])
    theirs_inception = None
    if inception is not None:
        images = torch.rand(8, 3, 256, 256, generator=torch.Generator().manual_seed(0))

        def theirs_inception():
            with torch.no_grad():
                return 8 / median_seconds(lambda: inception(images), arguments.seconds)
    rows.append(alternate("FID Inception features, 256² inputs, batch 8 (img/s)", ours_inception, theirs_inception, arguments.rounds))

    # "at sgemm": both programs do the same direct arithmetic (toonkit's count); this is its rate at OpenBLAS sgemm
    # 2048³'s speed on this machine, the float32 yardstick a faster-than claim is measured against.
    print(f"medians of {arguments.rounds} alternated round(s) of at least {arguments.seconds:g} s per side")
    print(f"{'workload':56} {'PyTorch':>9} {'toonkit':>9} {'ratio':>7} {'ratio range':>13} {'at sgemm':>9}  round trip")
    for name, theirs, ours, ratios, at_sgemm, round_trips in rows:
        ratio = f"{statistics.median(ratios):6.2f}x" if ratios else "      -"
        spread = f"{min(ratios):5.2f}–{max(ratios):.2f}x" if ratios else "-"
        trips = f"{min(round_trips):.0f}–{max(round_trips):.0f} ns" if round_trips else "-"
        print(f"{name:56} {theirs if theirs else float('nan'):9.2f} {ours:9.2f} {ratio} {spread:>13} {at_sgemm:9.2f}  {trips}")
    for item in skipped:
        print(f"skipped: {item}")


def alternate(name, ours, theirs, rounds):
    """`rounds` measurements of each side, alternated, PyTorch first in even rounds: (name, PyTorch's median img/s or
    None, toonkit's median, the per-round ratios toonkit / PyTorch, toonkit's median img/s at sgemm's rate, toonkit's
    round trips)."""
    our_rates, their_rates, ratios, at_sgemm, round_trips = [], [], [], [], []
    for round_index in range(rounds):
        first_theirs = round_index % 2 == 0
        theirs_rate = theirs() if theirs is not None and first_theirs else None
        rate, sgemm_rate, round_trip = ours()
        if theirs is not None and not first_theirs:
            theirs_rate = theirs()
        our_rates.append(rate)
        at_sgemm.append(sgemm_rate)
        if round_trip is not None:
            round_trips.append(round_trip)
        if theirs_rate is not None:
            their_rates.append(theirs_rate)
            ratios.append(rate / theirs_rate)
            trip = f", toonkit's CPU round trip {round_trip:.0f} ns" if round_trip is not None else ""
            print(f"{name}, round {round_index + 1}: PyTorch {theirs_rate:.2f}, toonkit {rate:.2f}, {rate / theirs_rate:.2f}x{trip}")
    return (name, statistics.median(their_rates) if their_rates else None, statistics.median(our_rates), ratios,
            statistics.median(at_sgemm), round_trips)


if __name__ == "__main__":
    main()
