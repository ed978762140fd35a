#!/usr/bin/env python3
"""Reference LPIPS-VGG16 distances and image gradients from the `lpips` pip package.

toonkit's Metrics module rebuilds `lpips.LPIPS(net='vgg')` (v0.1) in Swift. Real VGG16 ImageNet
weights cannot be fetched in CI, so both sides fill the torchvision VGG16 backbone with the formula
weights of scripts/formula_weights.py; the linear heads are the real ones the package ships in
`lpips/weights/v0.1/vgg.pth` (a 7 KB file, BSD-2-Clause like the package), copied beside the output.

Writes into fixtures/lpips (or --out):
  vgg.pth         the package's v0.1 heads, byte for byte (the file users pass as --lpips-heads)
  reference.npz   per pair k: distance{k} (lpips output, [1]) and gradient{k} (d distance / d image a,
                  [1, 3, H, W]); the images themselves are formulas (see `pair_images`), not stored

Needs: pip install lpips (and torchvision). If torchvision cannot be imported -- on a CPU-only torch
PyPI's current torchvision wheel is the CUDA build and fails to load -- the script says so and gives
lpips a stand-in `torchvision.models.vgg16` whose `features` is the same layer list as torchvision's
(configuration "D": 3x3 convolutions with padding 1 and ReLU, 2x2 max pools); every lpips line then
runs unchanged.
"""
import argparse
import os
import shutil
import sys
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from formula_weights import name_seed, uniform, vgg_formula_tensor  # noqa: E402

# (height, width) of each image pair; the last is not square and has odd feature maps below the top.
PAIR_SIZES = [(32, 32), (32, 32), (24, 40)]
VGG16_LAYERS = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def install_torchvision_stand_in():
    try:
        import torchvision  # noqa: F401
        print("using torchvision", torchvision.__version__)
        return
    except Exception as error:  # a CUDA-only torchvision raises RuntimeError, not ImportError
        print(f"torchvision cannot be imported ({type(error).__name__}: {error}); using a stand-in vgg16 "
              "with torchvision's layer list", file=sys.stderr)

    def vgg16(pretrained=False, **_):
        assert not pretrained, "the stand-in has no pretrained weights"
        layers, channels = [], 3
        for item in VGG16_LAYERS:
            if item == "M":
                layers.append(torch.nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [torch.nn.Conv2d(channels, item, kernel_size=3, padding=1), torch.nn.ReLU(inplace=True)]
                channels = item
        return types.SimpleNamespace(features=torch.nn.Sequential(*layers))

    package, models = types.ModuleType("torchvision"), types.ModuleType("torchvision.models")
    models.vgg16 = vgg16
    package.models = models
    sys.modules.update({"torchvision": package, "torchvision.models": models})


def pair_images(index, height, width):
    """Image a is hash noise in [-1, 1); b = a/2 + other noise/2 (both exact in float32)."""
    count = 3 * height * width
    a = uniform(name_seed(f"lpips.pair{index}.a"), count)
    b = np.float32(0.5) * a + np.float32(0.5) * uniform(name_seed(f"lpips.pair{index}.b"), count)
    return a.reshape(1, 3, height, width), b.reshape(1, 3, height, width)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "lpips"))
    args = parser.parse_args()
    install_torchvision_stand_in()
    import lpips

    model = lpips.LPIPS(net="vgg", version="0.1", pnet_rand=True, verbose=False)
    # lpips keeps torchvision's module indices inside its slices, so `net.sliceK.N` is `features.N`.
    with torch.no_grad():
        for name, tensor in model.net.named_parameters():
            index, kind = name.split(".")[1:]
            tensor.copy_(torch.from_numpy(vgg_formula_tensor(f"features.{index}.{kind}", tuple(tensor.shape))))
    model.eval()

    os.makedirs(args.out, exist_ok=True)
    heads = os.path.join(os.path.dirname(lpips.__file__), "weights", "v0.1", "vgg.pth")
    shutil.copyfile(heads, os.path.join(args.out, "vgg.pth"))

    arrays = {}
    for index, (height, width) in enumerate(PAIR_SIZES):
        a, b = pair_images(index, height, width)
        image = torch.from_numpy(a).requires_grad_(True)
        distance = model(image, torch.from_numpy(b))
        (gradient,) = torch.autograd.grad(distance.sum(), image)
        arrays[f"distance{index}"] = distance.detach().numpy().reshape(1).astype(np.float32)
        arrays[f"gradient{index}"] = gradient.numpy().astype(np.float32)
        print(f"pair {index} ({height}x{width}): distance {distance.item():.8g}, |gradient| {gradient.norm().item():.6g}")
    np.savez_compressed(os.path.join(args.out, "reference.npz"), **arrays)


if __name__ == "__main__":
    main()
