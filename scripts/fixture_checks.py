#!/usr/bin/env python3
"""Two facts about the reference fixtures in ../shared/fixtures/stylegan2, checked independently of toonkit.

1. ws_psi07 was produced by a mapping network in *training* mode: the stored w_avg reproduces it only
   after two running-average updates, w_avg <- lerp(mean_batch(w), w_avg, 0.995), one per mapping call
   (psi=1, then psi=0.7), before truncation.
2. d_logits was produced with D's blocks at resolution >= 8 in float16 (D called without force_fp32 on a
   torch version that runs half convolutions on the CPU): a float16 evaluation of the same network
   reproduces it to ~1e-6, a float32 one only to ~1e-3.

The discriminator below is written from ../shared/docs/formats.md section 6.7 in plain torch ops.
Usage (torch, numpy and h5py installed):
    toonkit import ../shared/fixtures/stylegan2/tiny32.pkl -o /tmp/tiny32.h5
    python3 scripts/fixture_checks.py tiny32 /tmp/tiny32.h5
"""
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

FIXTURES = "../shared/fixtures/stylegan2"
FILTER = torch.tensor(np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64.0, dtype=torch.float32)


def fir(x, pad, down=1):
    channels = x.shape[1]
    weight = FILTER.to(x.dtype).flip([0, 1])[None, None].repeat(channels, 1, 1, 1)
    return F.conv2d(F.pad(x, [pad] * 4), weight, groups=channels)[:, :, ::down, ::down]


def bias_act(x, bias, lrelu, gain, clamp):
    if bias is not None:
        x = x + bias.to(x.dtype).reshape(1, -1, 1, 1)
    if lrelu:
        x = F.leaky_relu(x, 0.2)
    if gain != 1:
        x = x * gain
    return x.clamp(-clamp, clamp) if clamp is not None else x


def conv_layer(p, x, prefix, lrelu=True, down=False, bias=True, gain=1.0, clamp=256.0):
    weight = p[prefix + ".weight"]
    k = weight.shape[2]
    weight = (weight * (1 / np.sqrt(weight.shape[1] * k * k))).to(x.dtype)
    if down and k == 1:
        x = F.conv2d(fir(x, 1, 2), weight)
    elif down:
        x = F.conv2d(fir(x, 2), weight, stride=2)
    else:
        x = F.conv2d(x, weight, padding=k // 2)
    act_gain = (np.sqrt(2) if lrelu else 1.0) * gain
    return bias_act(x, p[prefix + ".bias"] if bias else None, lrelu, act_gain, clamp * gain if clamp else None)


def fully_connected(p, x, prefix, lrelu):
    weight = p[prefix + ".weight"]
    x = x @ (weight * (1 / np.sqrt(weight.shape[1]))).t() + p[prefix + ".bias"]
    return F.leaky_relu(x, 0.2) * np.sqrt(2) if lrelu else x


def discriminator(p, images, block_dtype, group_size=4):
    resolution = images.shape[2]
    x = conv_layer(p, images.to(block_dtype), f"b{resolution}.fromrgb")
    res = resolution
    while res > 4:
        skip = conv_layer(p, x, f"b{res}.skip", lrelu=False, down=True, bias=False, gain=np.sqrt(0.5), clamp=None)
        x = conv_layer(p, x, f"b{res}.conv0")
        x = conv_layer(p, x, f"b{res}.conv1", down=True, gain=np.sqrt(0.5))
        x = skip + x
        res //= 2
    x = x.float()
    n, c, h, w = x.shape
    g = min(group_size, n)
    y = x.reshape(g, -1, 1, c, h, w)
    y = ((y - y.mean(0)).square().mean(0) + 1e-8).sqrt().mean([2, 3, 4]).reshape(-1, 1, 1, 1).repeat(g, 1, h, w)
    x = conv_layer(p, torch.cat([x, y], 1), "b4.conv")
    x = fully_connected(p, x.flatten(1), "b4.fc", True)
    return fully_connected(p, x, "b4.out", False)


def main():
    name, checkpoint = sys.argv[1], sys.argv[2]
    ref = np.load(f"{FIXTURES}/{name}.ref.npz")
    with h5py.File(checkpoint, "r") as f:
        w_avg = f["networks/G_ema/mapping.w_avg"][()]
        d_params = {k: torch.tensor(v[()]) for k, v in f["networks/D"].items()}

    w = torch.tensor(ref["ws_psi10"][:, 0, :])
    average = torch.tensor(w_avg)
    for updates in range(3):
        truncated = average.lerp(w, 0.7)
        error = (truncated - torch.tensor(ref["ws_psi07"][:, 0, :])).abs().max().item()
        print(f"ws_psi07 with w_avg after {updates} training-mode updates: max abs error {error:.3g}")
        average = w.mean(0).lerp(average, 0.995)

    images = torch.tensor(ref["img_psi10"])
    expected = ref["d_logits"].ravel()
    for label, dtype in [("float32", torch.float32), ("float16", torch.float16)]:
        logits = discriminator(d_params, images, dtype).detach().numpy().ravel()
        print(f"d_logits with {label} blocks: max relative error {np.abs(logits - expected).max() / np.abs(expected).max():.3g}")


if __name__ == "__main__":
    main()
