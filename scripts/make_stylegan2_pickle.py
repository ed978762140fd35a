#!/usr/bin/env python3
"""Write a StyleGAN2-ADA network pickle without torch, for benchmarks and format tests.

The file has the structure of a train.py snapshot (docs/foreign-formats.md §3): a dict with
training_set_kwargs, G, D, G_ema and augment_pipe; every network is a
torch_utils.persistence persistent object (meta dict with module_src, class_name and
state); every tensor is _rebuild_parameter/_rebuild_tensor_v2 over a
torch.storage._load_from_bytes blob holding a legacy torch.save stream. The
module_src is a comment, as in the shared fixtures. Weights are random float32.

Stand-in modules named like torch's are registered in sys.modules so that Python's
pickler writes the same GLOBAL references the real code does; nothing here imports
torch or numpy's pickled classes beyond numpy itself.

    python3 scripts/make_stylegan2_pickle.py out.pkl                 # paper256, ~296 MB
    python3 scripts/make_stylegan2_pickle.py out.pkl --resolution 32 --channel-base 256 \
        --channel-max 32 --mapping-layers 2 --z-dim 32 --w-dim 32 --protocol 2
"""
import argparse
import collections
import io
import pickle
import sys
import types

import numpy as np


def _fake_module(name):
    module = types.ModuleType(name)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(_fake_module(parent) if parent not in sys.modules else sys.modules[parent], child, module)
    return module


def _define(module_name, function):
    module = sys.modules.get(module_name) or _fake_module(module_name)
    function.__module__ = module_name
    function.__qualname__ = function.__name__
    setattr(module, function.__name__, function)
    return function


def _reconstruct_persistent_obj(meta): raise RuntimeError("stand-in only")
def _rebuild_parameter(data, requires_grad, hooks): raise RuntimeError("stand-in only")
def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks): raise RuntimeError("stand-in only")
def _load_from_bytes(blob): raise RuntimeError("stand-in only")


_define("torch_utils.persistence", _reconstruct_persistent_obj)
_define("torch._utils", _rebuild_parameter)
_define("torch._utils", _rebuild_tensor_v2)
_define("torch.storage", _load_from_bytes)
FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
sys.modules["torch"].FloatStorage = FloatStorage

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
MODULE_SOURCE = "# module source omitted from this generated pickle\n" + "#" * 37300 + "\n"


def legacy_storage_blob(values, key):
    """torch.save(storage, _use_new_zipfile_serialization=False) of one float32 storage (docs/foreign-formats.md §4.2)."""
    out = io.BytesIO()
    for header in (LEGACY_MAGIC, 1001,
                   {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, out, protocol=2)

    class StorageRef:
        pass

    ref = StorageRef()

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", FloatStorage, key, "cpu", values.size, None) if obj is ref else None

    Pickler(out, protocol=2).dump(ref)
    pickle.dump([key], out, protocol=2)
    out.write(np.int64(values.size).tobytes())
    out.write(values.astype("<f4").tobytes())
    return out.getvalue()


class Storage:
    counter = 93945565513184

    def __init__(self, values):
        self.values = values

    def __reduce__(self):
        Storage.counter += 64
        return _load_from_bytes, (legacy_storage_blob(self.values, str(Storage.counter)),)


class Tensor:
    def __init__(self, values):
        self.values = values

    def __reduce__(self):
        shape = tuple(self.values.shape)
        stride = tuple(int(np.prod(shape[i + 1:])) for i in range(len(shape)))
        flat = np.ascontiguousarray(self.values).reshape(-1)
        return _rebuild_tensor_v2, (Storage(flat), 0, shape, stride, False, collections.OrderedDict())


class Parameter(Tensor):
    def __reduce__(self):
        return _rebuild_parameter, (Tensor(self.values), False, collections.OrderedDict())


class Module:
    """A persistent network object: reduces to _reconstruct_persistent_obj(meta) like persistence.py."""

    def __init__(self, class_name, params=(), buffers=(), modules=(), attrs=None, init_kwargs=None):
        self.class_name = class_name
        self.state = {
            "training": False,
            "_parameters": dict(params),
            "_buffers": dict(buffers),
            "_non_persistent_buffers_set": set(),
            "_backward_hooks": collections.OrderedDict(),
            "_forward_hooks": collections.OrderedDict(),
            "_forward_pre_hooks": collections.OrderedDict(),
            "_state_dict_hooks": collections.OrderedDict(),
            "_load_state_dict_pre_hooks": collections.OrderedDict(),
            "_modules": dict(modules),
        }
        self.state.update(attrs or {})
        self.state["_init_args"] = ()
        self.state["_init_kwargs"] = init_kwargs or {}

    def __reduce__(self):
        meta = {"type": "class", "version": 6, "module_src": MODULE_SOURCE, "class_name": self.class_name,
                "state": self.state}
        return _reconstruct_persistent_obj, (meta,)


class Builder:
    def __init__(self, seed):
        self.random = np.random.RandomState(seed)

    def randn(self, *shape):
        return self.random.standard_normal(shape).astype(np.float32)

    @staticmethod
    def resample_filter():
        taps = np.array([1, 3, 3, 1], dtype=np.float32)
        return np.outer(taps, taps) / np.float32(64)

    def fc(self, out_features, in_features, activation="linear", bias_init=None):
        # A style affine's bias starts at 1 (bias_init) and a trained one stays near it; TF pickles store it as
        # bias - 1, exact in float32 only from 0.5 up, so standard-normal values would not be realistic there.
        bias = self.randn(out_features) if bias_init is None else np.float32(bias_init) + np.float32(0.1) * self.randn(out_features)
        return Module("FullyConnectedLayer",
                      params=[("weight", Parameter(self.randn(out_features, in_features))),
                              ("bias", Parameter(bias))],
                      attrs={"activation": activation, "weight_gain": np.float64(1 / np.sqrt(in_features)), "bias_gain": 1})

    def synthesis_layer(self, in_channels, out_channels, w_dim, resolution, up):
        return Module("SynthesisLayer",
                      params=[("weight", Parameter(self.randn(out_channels, in_channels, 3, 3))),
                              ("noise_strength", Parameter(self.randn())),
                              ("bias", Parameter(self.randn(out_channels)))],
                      buffers=[("resample_filter", Tensor(self.resample_filter())),
                               ("noise_const", Tensor(self.randn(resolution, resolution)))],
                      modules=[("affine", self.fc(in_channels, w_dim, bias_init=1))],
                      attrs={"resolution": resolution, "up": up, "use_noise": True, "conv_clamp": 256,
                             "activation": "lrelu", "act_gain": np.float64(np.sqrt(2))})

    def generator(self, cfg):
        blocks = []
        for resolution in cfg.resolutions:
            channels = cfg.channels(resolution)
            modules = []
            if resolution > 4:
                modules.append(("conv0", self.synthesis_layer(cfg.channels(resolution // 2), channels, cfg.w_dim, resolution, 2)))
            modules.append(("conv1", self.synthesis_layer(channels, channels, cfg.w_dim, resolution, 1)))
            modules.append(("torgb", Module("ToRGBLayer",
                                            params=[("weight", Parameter(self.randn(3, channels, 1, 1))),
                                                    ("bias", Parameter(self.randn(3)))],
                                            modules=[("affine", self.fc(channels, cfg.w_dim, bias_init=1))],
                                            attrs={"conv_clamp": 256, "weight_gain": np.float64(1 / np.sqrt(channels))})))
            params = [("const", Parameter(self.randn(channels, 4, 4)))] if resolution == 4 else []
            blocks.append((f"b{resolution}", Module("SynthesisBlock", params=params,
                                                    buffers=[("resample_filter", Tensor(self.resample_filter()))],
                                                    modules=modules, attrs={"resolution": resolution, "architecture": "skip"})))
        mapping = Module("MappingNetwork", buffers=[("w_avg", Tensor(self.randn(cfg.w_dim)))],
                         modules=[(f"fc{i}", self.fc(cfg.w_dim, cfg.z_dim if i == 0 else cfg.w_dim, "lrelu"))
                                  for i in range(cfg.mapping_layers)],
                         attrs={"num_layers": cfg.mapping_layers, "w_avg_beta": 0.995})
        kwargs = {"z_dim": cfg.z_dim, "c_dim": 0, "w_dim": cfg.w_dim, "img_resolution": cfg.resolution, "img_channels": 3,
                  "mapping_kwargs": {"num_layers": cfg.mapping_layers},
                  "synthesis_kwargs": {"channel_base": cfg.channel_base, "channel_max": cfg.channel_max,
                                       "num_fp16_res": 4, "conv_clamp": 256}}
        return Module("Generator", modules=[("synthesis", Module("SynthesisNetwork", modules=blocks)), ("mapping", mapping)],
                      attrs={"z_dim": cfg.z_dim, "w_dim": cfg.w_dim, "img_resolution": cfg.resolution}, init_kwargs=kwargs)

    def conv(self, out_channels, in_channels, kernel, bias=True):
        params = [("weight", Parameter(self.randn(out_channels, in_channels, kernel, kernel)))]
        if bias:
            params.append(("bias", Parameter(self.randn(out_channels))))
        return Module("Conv2dLayer", params=params, buffers=[("resample_filter", Tensor(self.resample_filter()))],
                      attrs={"activation": "lrelu" if bias else "linear", "weight_gain": np.float64(1 / np.sqrt(in_channels * kernel * kernel))})

    def discriminator(self, cfg):
        blocks = []
        for resolution in reversed(cfg.resolutions[1:]):
            channels, following = cfg.channels(resolution), cfg.channels(resolution // 2)
            modules = [("fromrgb", self.conv(channels, 3, 1))] if resolution == cfg.resolution else []
            modules += [("conv0", self.conv(channels, channels, 3)), ("conv1", self.conv(following, channels, 3)),
                        ("skip", self.conv(following, channels, 1, bias=False))]
            blocks.append((f"b{resolution}", Module("DiscriminatorBlock", buffers=[("resample_filter", Tensor(self.resample_filter()))],
                                                    modules=modules, attrs={"resolution": resolution, "architecture": "resnet"})))
        c4 = cfg.channels(4)
        epilogue = Module("DiscriminatorEpilogue",
                          modules=[("mbstd", Module("MinibatchStdLayer", attrs={"group_size": cfg.mbstd_group, "num_channels": 1})),
                                   ("conv", self.conv(c4, c4 + 1, 3)), ("fc", self.fc(c4, c4 * 16, "lrelu")), ("out", self.fc(1, c4))])
        blocks.append(("b4", epilogue))
        kwargs = {"c_dim": 0, "img_resolution": cfg.resolution, "img_channels": 3, "channel_base": cfg.channel_base,
                  "channel_max": cfg.channel_max, "num_fp16_res": 4, "conv_clamp": 256,
                  "epilogue_kwargs": {"mbstd_group_size": cfg.mbstd_group}}
        return Module("Discriminator", modules=blocks, init_kwargs=kwargs)


class Config:
    def __init__(self, args):
        self.__dict__.update(vars(args))
        self.resolutions = [2 ** i for i in range(2, int(np.log2(args.resolution)) + 1)]

    def channels(self, resolution):
        return min(self.channel_base // resolution, self.channel_max)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output")
    parser.add_argument("--resolution", type=int, default=256)
    parser.add_argument("--z-dim", type=int, default=512)
    parser.add_argument("--w-dim", type=int, default=512)
    parser.add_argument("--mapping-layers", type=int, default=8)
    parser.add_argument("--channel-base", type=int, default=16384)
    parser.add_argument("--channel-max", type=int, default=512)
    parser.add_argument("--mbstd-group", type=int, default=8)
    parser.add_argument("--augment-p", type=float, default=0.25, help="negative: augment_pipe None")
    parser.add_argument("--protocol", type=int, default=4, choices=[2, 3, 4, 5])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--legacy-layout", action="store_true",
                        help="key order and None values of a legacy.py (TF-converted) pickle")
    args = parser.parse_args()
    cfg = Config(args)
    builder = Builder(args.seed)
    pipe = None
    if args.augment_p >= 0:
        pipe = Module("AugmentPipe", buffers=[("p", Tensor(np.array(args.augment_p, dtype=np.float32))),
                                              ("Hz_geom", Tensor(builder.randn(12))), ("Hz_fbank", Tensor(builder.randn(4, 43)))])
    generator = builder.generator(cfg)
    snapshot = {"training_set_kwargs": {"class_name": "training.dataset.ImageFolderDataset", "path": "data.zip",
                                        "use_labels": False, "max_size": None, "xflip": True, "resolution": args.resolution},
                "G": generator, "D": builder.discriminator(cfg), "G_ema": builder.generator(cfg), "augment_pipe": pipe}
    if args.legacy_layout:
        snapshot = {"G": snapshot["G"], "D": snapshot["D"], "G_ema": snapshot["G_ema"],
                    "training_set_kwargs": None, "augment_pipe": None}
    with open(args.output, "wb") as file:
        pickle.dump(snapshot, file, protocol=args.protocol)


if __name__ == "__main__":
    main()
