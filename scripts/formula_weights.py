"""The deterministic "formula weights" toonkit's tests share with reference scripts.

Every value is a formula of (tensor name, element index), exact in float32, so numpy and Swift
(Sources/Metrics/FormulaWeights.swift) produce the same bits without any weights file.
"""
import math

import numpy as np

GOLDEN = np.uint32(0x9E3779B9)


def name_seed(name):
    """FNV-1a (32 bit) of the UTF-8 name."""
    h = 0x811C9DC5
    for byte in name.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def uniform(seed, count):
    """count values in [-1, 1), exact in float32: murmur3's finaliser of seed ^ (index * golden)."""
    with np.errstate(over="ignore"):
        h = np.uint32(seed) ^ (np.arange(count, dtype=np.uint32) * GOLDEN)
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return (h >> np.uint32(8)).astype(np.float32) * np.float32(2.0 ** -23) - np.float32(1)


def vgg_formula_tensor(name, shape):
    """A torchvision VGG16 `features.N.weight|bias` tensor: He-uniform convolutions (variance
    2 / fan-in keeps ReLU activations O(1) through 13 layers) and small biases. Mirrors
    FormulaWeights.tensor in Sources/Metrics/FormulaWeights.swift."""
    count = int(np.prod(shape))
    u = uniform(name_seed(name), count).reshape(shape)
    if name.endswith(".weight"):
        fan_in = int(np.prod(shape[1:]))
        return np.float32(math.sqrt(6.0 / fan_in)) * u
    return np.float32(0.1) * u
