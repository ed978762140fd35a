#!/usr/bin/env python3
"""Regenerate the end-to-end hostile-input corpus: Tests/HostileInputTests/Corpus/.

Writes small hostile files (HDF5 checkpoints, pickles, torch zip and legacy files, npy/npz,
safetensors, PNGs and zip data sets, YAML recipes) plus cases.json, the manifest the
HostileInputTests target runs through the built `toonkit` executable. Inputs that would be
large (zip bombs, a 64 MB pickle integer, deep nesting) or that git cannot hold (FIFOs,
symbolic-link loops, devices, directories) are described in the manifest and built at test
time by the harness ("build" and "derive" fields).

The valid checkpoint every HDF5 case starts from is written by toonkit itself: a tiny
StyleGAN2 (8×8, 4 channels) pickled with scripts/make_stylegan2_pickle.py and imported with
`toonkit import`. The committed files are the source of truth; CI does not run this script.

    swift build -c release && python3 scripts/make_hostile_corpus.py   # needs numpy and h5py

Manifest fields per case: name, class, command (argument list with placeholders {input},
{valid}, {data}, {images}, {out}, {case}), inputs (corpus files copied into the case folder;
the first is {input}), expect ("refusal": the listed status, `toonkit: error: <input>` on
stderr; "warning": exit 0 with a warning; "survive": any of 0/1/2, a refusal well formed;
"different": diff must not report the files as the same), status, mentions (stderr must
contain one of them, case-insensitively), plus optional build, derive, canary, must_not_exist.
"""
import argparse
import collections
import hashlib
import importlib.util
import io
import json
import os
import pickle
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import types
import zlib

import h5py
import numpy as np

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(REPOSITORY, "Tests", "HostileInputTests", "Corpus")

spec = importlib.util.spec_from_file_location("stylegan2_pickle", os.path.join(REPOSITORY, "scripts", "make_stylegan2_pickle.py"))
sg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sg)
# The real module source is 37 kB per pickle; the importer never reads it.
sg.MODULE_SOURCE = "# omitted\n"

TINY = types.SimpleNamespace(resolution=8, z_dim=4, w_dim=4, mapping_layers=2, channel_base=32, channel_max=4,
                             mbstd_group=2, augment_p=-1, protocol=4, seed=0, legacy_layout=False)
# Text of the canary file the harness writes next to external-storage cases; the stored sha256
# matches it, so only the refusal of external storage (not a checksum mismatch) can stop the read.
CANARY_TEXT = ("TOONKIT-CANARY-4f1d0c2e-outside-file " * 7)[:256]
LINKED_MARKER = b"LINKEDCANARY0001"  # 16 bytes: mapping.w_avg (4 float32) of the linked file
FIXED_TIME = "2026-01-01T00:00:00Z"
ESC_NAME = "mapping.w_avg\x1b[2J\x1b[31m"
CONST = "synthesis.b4.const"  # 256 bytes: the tensor stored outside the file

COMMANDS = {
    "validate": ["validate", "{input}"],
    "inspect": ["inspect", "{input}"],
    "generate": ["generate", "{input}", "--seeds", "0", "-o", "{out}/img"],
    "export": ["export", "{input}", "-o", "{out}/exported.safetensors"],
    "diff": ["diff", "{valid}", "{input}"],
    "swap": ["swap", "--base", "{valid}", "--style", "{input}", "--at", "4", "-o", "{out}/swapped.h5"],
    "blend": ["blend", "--base", "{input}", "--style", "{valid}", "--at", "4", "--width", "1", "-o", "{out}/blended.h5"],
    "merge": ["merge", "{valid}", "{input}", "--weights", "0.5,0.5", "-o", "{out}/merged.h5"],
    "freeze": ["freeze", "{input}", "--layers", "1", "-o", "{out}/frozen.h5"],
    "sweep": ["sweep", "--base", "{valid}", "--style", "{input}", "--seeds", "0", "-o", "{out}/sweep.png"],
    "score": ["score", "{input}", "--images", "{images}"],
    "fid": ["fid", "{input}", "--data", "{data}", "--formula-weights", "--num", "4", "--batch", "4", "--no-cache"],
    "train-resume": ["train", "--data", "{data}", "--resume", "{input}", "--outdir", "{out}/runs", "--kimg", "0.004",
                     "--batch", "2", "--tick", "0.004", "--aug", "noaug"],
    "import": ["import", "{input}", "-o", "{out}/imported.h5"],
    "ws": ["generate", "{valid}", "--ws", "{input}", "-o", "{out}/img"],
    "score-images": ["score", "{valid}", "--images", "{input}"],
    "dataset-convert": ["dataset", "convert", "{input}", "-o", "{out}/data.zip"],
    "dataset-info": ["dataset", "info", "{input}", "--verify"],
    "train-data": ["train", "--data", "{input}", "--outdir", "{out}/runs", "--kimg", "0.004", "--batch", "2",
                   "--tick", "0.004", "--aug", "noaug", "--channel-base", "32", "--channel-max", "4", "--map", "2",
                   "--latent-dim", "4"],
    "fid-data": ["fid", "{valid}", "--data", "{input}", "--formula-weights", "--num", "4", "--batch", "4", "--no-cache"],
    "fid-inception": ["fid", "{valid}", "--data", "{data}", "--inception", "{input}", "--num", "4", "--batch", "4", "--no-cache"],
    "run": ["run", "{input}"],
    "run-dry": ["run", "{input}", "--dry-run"],
}


class Corpus:
    def __init__(self, root):
        self.root = root
        self.cases = []

    def write(self, relative, data):
        path = os.path.join(self.root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(data)
        return relative

    def add(self, name, cls, command, inputs=(), expect="refusal", status=None, mentions=(), **extra):
        arguments = COMMANDS[command] if isinstance(command, str) else command
        if status is None:
            status = {"refusal": [2], "warning": [0], "survive": [0, 1, 2], "different": [1, 2]}[expect]
        if expect == "different" or arguments[0] == "diff":
            # diff's exit 1 is its verdict (the files differ), printed on stdout, not a refusal.
            extra.setdefault("report", arguments[0])
        case = {"name": name, "class": cls, "command": arguments, "inputs": list(inputs), "expect": expect,
                "status": [status] if isinstance(status, int) else status, "mentions": list(mentions)}
        case.update(extra)
        self.cases.append(case)

    def add_each(self, name, cls, commands, inputs=(), **options):
        """One case per command, named name/command."""
        for command in commands:
            self.add(f"{name}/{command}", cls, command, inputs, **options)


# MARK: the valid checkpoint, written by toonkit


def tiny_snapshot(seed=0, tweak=None):
    """A train.py-like snapshot of the tiny architecture; `tweak(builder, snapshot)` may replace parts."""
    config = sg.Config(argparse.Namespace(**vars(TINY)))
    builder = sg.Builder(seed)
    snapshot = {"training_set_kwargs": {"class_name": "training.dataset.ImageFolderDataset", "path": "data.zip",
                                        "use_labels": False, "max_size": None, "xflip": False, "resolution": 8},
                "G": builder.generator(config), "D": builder.discriminator(config), "G_ema": builder.generator(config),
                "augment_pipe": None}
    if tweak:
        tweak(builder, snapshot)
    return snapshot


def make_valid_checkpoint(toonkit, workdir):
    pickle_path = os.path.join(workdir, "tiny.pkl")
    with open(pickle_path, "wb") as file:
        pickle.dump(tiny_snapshot(), file, protocol=4)
    checkpoint = os.path.join(workdir, "valid.h5")
    subprocess.run([toonkit, "import", "tiny.pkl", "-o", "valid.h5"], cwd=workdir, check=True, capture_output=True)
    # Fixed times, so that regenerating the corpus changes no file unless the script changed.
    with h5py.File(checkpoint, "r+") as file:
        file.attrs["created_at"] = FIXED_TIME
        records = [json.loads(record) for record in file["provenance"].asstr()[()]]
        for record in records:
            record["time"] = FIXED_TIME
            record["inputs"] = [dict(entry, path="tiny.pkl") for entry in record["inputs"]]
        file["provenance"][...] = [json.dumps(record, sort_keys=True, separators=(",", ":")) for record in records]
    return checkpoint


# MARK: HDF5 rewriting


def sha256(data):
    return hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()


def copy_attributes(source, target):
    for key, value in source.attrs.items():
        target.attrs[key] = value


# The variants keep G_ema and D (what generate, score and training read); dropping G keeps each file small.
KEPT_NETWORKS = ("G_ema", "D")


def rewrite(source_path, target_path, edit=None, userblock=0, after=None):
    """Copies a checkpoint object by object (networks keep creation order, G is left out); `edit(group, name,
    dataset)` may create a tensor differently and return True; `after(file)` adds objects at the end."""
    with h5py.File(source_path, "r") as source, \
            h5py.File(target_path, "w", libver=("earliest", "v110"), userblock_size=userblock or None, track_order=True) as target:
        copy_attributes(source, target)
        for name in source:
            if name == "networks":
                networks = target.create_group("networks", track_order=True)
                for net in (net for net in source["networks"] if net in KEPT_NETWORKS):
                    group = networks.create_group(net, track_order=True)
                    for tensor in source["networks"][net]:
                        dataset = source["networks"][net][tensor]
                        if edit and edit(group, tensor, dataset):
                            continue
                        copy = group.create_dataset(tensor, data=dataset[()], dtype=dataset.dtype)
                        copy_attributes(dataset, copy)
            else:
                copy_untimed(source[name], target, name)
        if after:
            after(target)


def copy_untimed(item, group, name):
    """Copies a dataset or group without the modification times HDF5's object copy would carry over."""
    if isinstance(item, h5py.Group):
        child = group.create_group(name, track_order=True)
        copy_attributes(item, child)
        for key in item:
            copy_untimed(item[key], child, key)
    else:
        copy_attributes(item, group.create_dataset(name, data=item[()], dtype=item.dtype))


def tensor_copy(group, name, dataset, data=None, **options):
    """Creates `name` in `group` like `dataset` (attributes too) with other data or storage options."""
    values = dataset[()] if data is None else data
    created = group.create_dataset(name, data=values, dtype=dataset.dtype, **options)
    copy_attributes(dataset, created)
    return created


def replace(target, transform):
    """An `edit` that applies `transform(group, name, dataset)` to the tensor named `target`."""
    def edit(group, name, dataset):
        if name != target or group.name != "/networks/G_ema":
            return False
        transform(group, name, dataset)
        return True
    return edit


def write_external(path, source, tensor, file_name, sha):
    def transform(group, name, dataset):
        created = group.create_dataset(name, shape=dataset.shape, dtype=dataset.dtype,
                                       external=[(file_name, 0, dataset.size * 4)])
        copy_attributes(dataset, created)
        if sha:
            created.attrs["sha256"] = sha
    rewrite(source, path, replace(tensor, transform))


def write_link(path, source, tensor, link):
    def transform(group, name, dataset):
        group[name] = link
    rewrite(source, path, replace(tensor, transform))


def write_virtual(path, source, tensor, file_name, dataset_path):
    def transform(group, name, dataset):
        layout = h5py.VirtualLayout(shape=dataset.shape, dtype=dataset.dtype)
        layout[:] = h5py.VirtualSource(file_name, dataset_path, shape=dataset.shape)
        created = group.create_virtual_dataset(name, layout)
        copy_attributes(dataset, created)
    rewrite(source, path, replace(tensor, transform))


def write_compact(path, source, tensor):
    def transform(group, name, dataset):
        plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        plist.set_layout(h5py.h5d.COMPACT)
        space = h5py.h5s.create_simple(dataset.shape)
        identifier = h5py.h5d.create(group.id, name.encode(), h5py.h5t.IEEE_F32LE, space, dcpl=plist)
        identifier.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(dataset[()]))
        copy_attributes(dataset, group[name])
    rewrite(source, path, replace(tensor, transform))


def write_values(path, source, tensor, values):
    """Replaces a tensor's values and updates its sha256, so the file stays valid by checksum."""
    def transform(group, name, dataset):
        created = tensor_copy(group, name, dataset, data=values.astype(dataset.dtype))
        created.attrs["sha256"] = sha256(values.astype(dataset.dtype))
    rewrite(source, path, replace(tensor, transform))


def data_ranges(path):
    """(offset, length) of every allocated dataset's raw data."""
    ranges = []
    with h5py.File(path, "r") as file:
        def visit(_, item):
            if isinstance(item, h5py.Dataset) and item.id.get_offset() is not None:
                ranges.append((item.id.get_offset(), item.id.get_storage_size()))
        file.visititems(visit)
    return sorted(ranges)


def metadata_offsets(path):
    """Byte offsets that are not raw tensor data: superblock, object headers, heaps, B-trees."""
    size = os.path.getsize(path)
    in_data = bytearray(size)
    for offset, length in data_ranges(path):
        in_data[offset:offset + length] = b"\x01" * length
    return [offset for offset in range(size) if not in_data[offset]]


# MARK: HDF5 cases


H5_COMMANDS = ["validate", "inspect", "generate", "export", "diff", "swap", "blend", "merge", "freeze", "sweep",
               "score", "fid", "train-resume"]


def rotate(commands, start, count):
    """`count` commands of the list starting at `start`, so the variants of one class spread over all commands."""
    return [commands[(start + i) % len(commands)] for i in range(count)]


class Variants:
    """Writes variants of the valid checkpoint into the corpus's h5/ folder."""

    def __init__(self, corpus, valid, work):
        self.corpus, self.valid, self.work = corpus, valid, work
        with h5py.File(valid, "r") as file:
            self.const_values = file["networks/G_ema"][CONST][()]
            self.w_avg = file["networks/G_ema/mapping.w_avg"][()]
        assert self.const_values.nbytes == len(CANARY_TEXT), "the canary must be as long as the tensor stored outside"

    def build(self, name, writer, *arguments):
        """`writer(path, valid, *arguments)` writes the variant; returns its corpus path."""
        path = os.path.join(self.work, name)
        writer(path, self.valid, *arguments)
        with open(path, "rb") as file:
            return self.corpus.write(f"h5/{name}", file.read())


def add_hdf5_cases(corpus, valid):
    work = tempfile.mkdtemp()
    variants = Variants(corpus, valid, work)
    add_external_storage_cases(variants)
    linked = add_link_cases(variants)
    add_structure_cases(variants, linked)
    add_layout_cases(variants)
    add_shape_cases(corpus, variants.build, variants.const_values)
    add_nonfinite_cases(corpus, variants.build, variants.const_values, variants.w_avg)
    add_derived_cases(corpus, valid)
    add_user_block_cases(variants)
    add_control_byte_checkpoints(variants)
    shutil.rmtree(work)


def add_external_storage_cases(variants):
    """/etc/passwd, /dev/zero (stored sha256 of zeros) and a canary (stored sha256 of its text)."""
    const_bytes = variants.const_values.nbytes
    canary = {"file": "secret.txt", "text": CANARY_TEXT}
    external = [("ext-passwd.h5", "/etc/passwd", None),
                ("ext-devzero.h5", "/dev/zero", hashlib.sha256(bytes(const_bytes)).hexdigest()),
                ("ext-canary.h5", "secret.txt", hashlib.sha256(CANARY_TEXT.encode()).hexdigest())]
    for index, (name, target, sha) in enumerate(external):
        path = variants.build(name, write_external, CONST, target, sha)
        extra = {"canary": canary} if target == "secret.txt" else {}
        variants.corpus.add_each(f"hdf5-external-storage/{name}", "hdf5-external-storage", rotate(H5_COMMANDS, index * 4, 6),
                        [path], mentions=["external"], **extra)


def add_link_cases(variants):
    """External links (to a file that passes every check, whose w_avg bytes are a marker) and soft links."""
    def linked_file(path, source):
        def transform(group, name, dataset):
            values = np.frombuffer(LINKED_MARKER, dtype="<f4").copy()
            created = tensor_copy(group, name, dataset, data=values)
            created.attrs["sha256"] = sha256(values)
        rewrite(source, path, replace("mapping.w_avg", transform),
                after=lambda file: file.create_dataset("w_avg", data=np.frombuffer(LINKED_MARKER, dtype="<f4")))
    linked = variants.build("linked.h5", linked_file)
    markers = {"markers": [LINKED_MARKER.decode()]}
    links = [("extlink-tensor.h5", lambda p, s: write_link(p, s, "mapping.w_avg", h5py.ExternalLink("linked.h5", "/networks/G_ema/mapping.w_avg")), ["external"]),
             ("extlink-passwd.h5", lambda p, s: write_link(p, s, "mapping.w_avg", h5py.ExternalLink("/etc/passwd", "/x")), ["external"]),
             ("softlink-tensor.h5", lambda p, s: write_link(p, s, "mapping.w_avg", h5py.SoftLink("/networks/G_ema/mapping.fc0.bias")), ["soft link", "link"]),
             ("softlink-dangling.h5", lambda p, s: write_link(p, s, "mapping.w_avg", h5py.SoftLink("/nowhere/at/all")), ["soft link", "link"]),
             ("softlink-root.h5", lambda p, s: write_link(p, s, "mapping.w_avg", h5py.SoftLink("/")), ["soft link", "link"])]
    for index, (name, writer, mentions) in enumerate(links):
        path = variants.build(name, writer)
        cls = "hdf5-external-link" if "extlink" in name else "hdf5-soft-link"
        variants.corpus.add_each(f"{cls}/{name}", cls, rotate(H5_COMMANDS, index * 3, 5), [path, linked], mentions=mentions, **markers)

    def whole_network_link(path, source):
        def relink(file):
            del file["networks/G_ema"]
            file["networks/G_ema"] = h5py.ExternalLink("linked.h5", "/networks/G_ema")
        rewrite(source, path, after=relink)
    path = variants.build("extlink-network.h5", whole_network_link)
    variants.corpus.add_each("hdf5-external-link/extlink-network.h5", "hdf5-external-link", ["validate", "generate", "export", "fid"],
                    [path, linked], mentions=["external"], **markers)

    return linked


def add_structure_cases(variants, linked):
    """Virtual datasets and groups holding a hard link to an ancestor."""
    markers = {"markers": [LINKED_MARKER.decode()]}
    for index, (name, source_file, dataset_path) in enumerate([("vds-self.h5", ".", "/networks/G_ema/mapping.fc0.bias"),
                                                                ("vds-linked.h5", "linked.h5", "/w_avg")]):
        path = variants.build(name, write_virtual, "mapping.w_avg", source_file, dataset_path)
        variants.corpus.add_each(f"hdf5-virtual-dataset/{name}", "hdf5-virtual-dataset", rotate(H5_COMMANDS, index * 5, 5),
                        [path, linked], mentions=["virtual"], **markers)

    cycles = [("cycle-networks.h5", lambda file: file["networks/G_ema"].__setitem__("loop", file["networks"])),
              ("cycle-root.h5", lambda file: file["networks/G_ema"].__setitem__("root", file["/"])),
              ("cycle-self.h5", lambda file: file["networks/G_ema"].__setitem__("self", file["networks/G_ema"]))]
    for index, (name, add_link) in enumerate(cycles):
        path = variants.build(name, lambda p, s, add_link=add_link: rewrite(s, p, after=add_link))
        variants.corpus.add_each(f"hdf5-hard-link-cycle/{name}", "hdf5-hard-link-cycle", rotate(H5_COMMANDS, index * 4, 5), [path],
                        mentions=["group", "link", "cycle"])


def add_layout_cases(variants):
    """2^40 elements declared (chunked or contiguous, never allocated); compact, gzip, lzf, shuffle + Fletcher-32."""
    huge = [("chunked-2p40.h5", {"shape": (2 ** 20, 2 ** 20), "chunks": (1024, 1024)}),
            ("chunked-2p40-flat.h5", {"shape": (2 ** 40,), "chunks": (2 ** 16,)}),
            ("contiguous-2p40-unallocated.h5", {"shape": (2 ** 20, 2 ** 20)})]
    for index, (name, options) in enumerate(huge):
        def writer(p, s, options=options):
            rewrite(s, p, replace(CONST, lambda group, n, dataset: copy_attributes(dataset, group.create_dataset(n, dtype="<f4", **options))))
        path = variants.build(name, writer)
        variants.corpus.add_each(f"hdf5-huge-declared/{name}", "hdf5-huge-declared", rotate(H5_COMMANDS, index * 4, 6), [path],
                        mentions=["shape", "chunk", "contiguous", "size"])

    storage = [("compact.h5", lambda p, s: write_compact(p, s, CONST), ["compact", "contiguous"]),
               ("gzip.h5", lambda p, s: rewrite(s, p, replace(CONST, lambda g, n, d: tensor_copy(g, n, d, compression="gzip"))), ["filter", "compress", "contiguous"]),
               ("lzf.h5", lambda p, s: rewrite(s, p, replace(CONST, lambda g, n, d: tensor_copy(g, n, d, compression="lzf"))), ["filter", "compress", "contiguous"]),
               ("shuffle-fletcher.h5", lambda p, s: rewrite(s, p, replace(CONST, lambda g, n, d: tensor_copy(g, n, d, shuffle=True, fletcher32=True))), ["filter", "contiguous"])]
    for index, (name, writer, mentions) in enumerate(storage):
        path = variants.build(name, writer)
        variants.corpus.add_each(f"hdf5-storage-layout/{name}", "hdf5-storage-layout", rotate(H5_COMMANDS, index * 3, 5), [path], mentions=mentions)


def add_user_block_cases(variants):
    """A user block holding the start of another format: toonkit must read the data where HDF5 says, or refuse."""
    for index, (name, content) in enumerate([("userblock-zip.h5", b"PK\x03\x04" + b"\x00" * 26),
                                             ("userblock-pickle.h5", b"\x80\x04\x95" + b"\xff" * 8)]):
        def writer(p, s, content=content):
            rewrite(s, p, userblock=512)
            with open(p, "r+b") as file:
                file.write(content)
        path = variants.build(name, writer)
        variants.corpus.add_each(f"hdf5-user-block/{name}", "hdf5-user-block", rotate(["validate", "diff", "generate", "export", "swap"], index, 3),
                        [path], expect="survive", mentions=["user block"])


def add_control_byte_checkpoints(variants):
    """ESC sequences in a tensor name and a network name: whatever is printed must escape them."""
    def escape_name(p, s):
        def transform(group, name, dataset):
            tensor_copy(group, ESC_NAME, dataset)
        rewrite(s, p, replace("mapping.w_avg", transform))
    path = variants.build("ansi-tensor-name.h5", escape_name)
    variants.corpus.add_each("control-bytes/ansi-tensor-name.h5", "control-bytes", ["validate", "inspect", "generate", "diff", "export"],
                    [path], expect="survive", mentions=["w_avg"])

    def escape_network(p, s):
        def add_network(file):
            group = file["networks"].create_group("G\x1b]0;owned\x07\x1b[2J", track_order=True)
            file.copy(file["networks/G_ema/mapping.w_avg"], group, "mapping.w_avg")
        rewrite(s, p, after=add_network)
    path = variants.build("ansi-network-name.h5", escape_network)
    variants.corpus.add_each("control-bytes/ansi-network-name.h5", "control-bytes", ["validate", "inspect", "diff"],
                    [path], expect="survive", mentions=["G"])

def add_shape_cases(corpus, build, const_values):
    """Tensors whose shape contradicts the architecture, with matching checksums (only the shape is wrong)."""
    def reshaped(name, values):
        def transform(group, n, dataset):
            created = group.create_dataset(n, data=values)
            copy_attributes(dataset, created)
            created.attrs["sha256"] = sha256(values)
        return transform

    variants = [("shape-const-extra-channel.h5", "synthesis.b4.const", np.zeros((5, 4, 4), "<f4")),
                ("shape-torgb-transposed.h5", "synthesis.b8.torgb.weight", np.zeros((4, 3, 1, 1), "<f4")),
                ("shape-fc0-wide.h5", "mapping.fc0.weight", np.zeros((4, 1024), "<f4")),
                ("shape-scalar-for-vector.h5", "mapping.w_avg", np.zeros((), "<f4"))]
    for index, (name, tensor, values) in enumerate(variants):
        path = build(name, lambda p, s, tensor=tensor, values=values: rewrite(s, p, replace(tensor, reshaped(tensor, values))))
        corpus.add(f"hdf5-shape-contradiction/{name}/validate", "hdf5-shape-contradiction", "validate", [path],
                   mentions=["shape"])
        for command in rotate(["generate", "swap", "export", "merge", "fid", "blend", "sweep", "train-resume"], index * 2, 3):
            corpus.add(f"hdf5-shape-contradiction/{name}/{command}", "hdf5-shape-contradiction", command, [path],
                       mentions=["shape"])
    path = build("missing-tensor.h5", lambda p, s: rewrite(s, p, replace("mapping.fc1.weight", lambda g, n, d: None)))
    corpus.add("hdf5-shape-contradiction/missing-tensor.h5/validate", "hdf5-shape-contradiction", "validate", [path],
               mentions=["mapping.fc1.weight", "missing"])
    corpus.add("hdf5-shape-contradiction/missing-tensor.h5/generate", "hdf5-shape-contradiction", "generate", [path],
               mentions=["mapping.fc1.weight", "missing"])


def add_nonfinite_cases(corpus, build, const_values, w_avg):
    """NaN/Inf weights with valid checksums: generate clamps and warns instead of crashing."""
    nan_const = const_values.copy()
    nan_const.flat[::3] = np.nan
    inf_avg = w_avg.copy()
    inf_avg[0], inf_avg[1] = np.inf, -np.inf
    inf_const = const_values.copy()
    inf_const.flat[0], inf_const.flat[1] = np.inf, -np.inf
    variants = [("nan-const.h5", "synthesis.b4.const", nan_const),
                ("all-nan-const.h5", "synthesis.b4.const", np.full_like(const_values, np.nan)),
                ("inf-const.h5", "synthesis.b4.const", inf_const)]
    for name, tensor, values in variants:
        path = build(name, write_values, tensor, values)
        corpus.add(f"nonfinite-weights/{name}/generate", "nonfinite-weights", "generate", [path], expect="warning", status=0,
                   mentions=["nan", "inf", "finite"])
    # w_avg is read only by truncation.
    path = build("inf-w-avg.h5", write_values, "mapping.w_avg", inf_avg)
    corpus.add("nonfinite-weights/inf-w-avg.h5/generate-trunc", "nonfinite-weights",
               ["generate", "{input}", "--seeds", "0,1", "--trunc", "0.7", "--grid", "{out}/grid.png"], [path],
               expect="warning", status=0, mentions=["nan", "inf", "finite"])


def add_derived_cases(corpus, valid):
    """Truncations and byte flips of the valid checkpoint, applied by the harness at test time."""
    size = os.path.getsize(valid)
    metadata = metadata_offsets(valid)
    for length in [8, 96, 512, 2048, size // 2, size - 1024, size - 1]:
        derive = {"from": "h5/valid.h5", "truncate": length}
        corpus.add(f"hdf5-truncated/{length}/generate", "hdf5-truncated", "generate", [], derive=derive,
                   mentions=["truncat", "hdf5", "read", "end of file", "eof"])
        corpus.add(f"hdf5-truncated/{length}/validate", "hdf5-truncated", "validate", [], derive=derive, expect="survive",
                   mentions=["truncat", "hdf5", "read", "end of file", "eof"])
    for seed in range(12):
        rng = random.Random(seed)
        flips = [{"offset": rng.choice(metadata), "xor": rng.randrange(1, 256)} for _ in range(1 + seed % 4)]
        derive = {"from": "h5/valid.h5", "flips": flips}
        for command in rotate(["validate", "inspect", "generate", "diff", "export", "swap"], seed, 2):
            corpus.add(f"hdf5-flipped-metadata/seed{seed}/{command}", "hdf5-flipped-metadata", command, [], derive=derive,
                       expect="survive", mentions=[])
    offset, length = data_ranges(valid)[len(data_ranges(valid)) // 2]
    derive = {"from": "h5/valid.h5", "flips": [{"offset": offset + length // 2, "xor": 1}]}
    corpus.add("hdf5-flipped-data-bit/diff", "hdf5-flipped-data-bit", "diff", [], derive=derive, expect="different",
               mentions=["sha256", "checksum", "different"])
    corpus.add("hdf5-flipped-data-bit/validate", "hdf5-flipped-data-bit", "validate", [], derive=derive,
               mentions=["sha256", "checksum"])


# MARK: pickles


class View:
    """A tensor that reduces to _rebuild_tensor_v2 over any storage, offset, size and stride."""

    def __init__(self, storage, offset, size, stride):
        self.arguments = (storage, offset, size, stride)

    def __reduce__(self):
        return sg._rebuild_tensor_v2, self.arguments + (False, collections.OrderedDict())


class LyingStorage(sg.Storage):
    """A legacy storage blob whose element count says `declared` but which holds only its few values."""

    def __init__(self, values, declared):
        super().__init__(values)
        self.declared = declared

    def __reduce__(self):
        blob = sg.legacy_storage_blob(self.values, "lying")
        count_at = len(blob) - self.values.size * 4 - 8
        blob = blob[:count_at] + struct.pack("<q", self.declared) + blob[count_at + 8:]
        return sg._load_from_bytes, (blob,)


def g_ema_buffers(snapshot, module_path):
    module = snapshot["G_ema"]
    for name in module_path:
        module = module.state["_modules"][name]
    return module.state


def nvidia_pickle(tweak):
    return pickle.dumps(tiny_snapshot(tweak=tweak), protocol=4)


def add_pickle_cases(corpus):
    """NVIDIA pickles whose tensors are views no storage can back."""
    one = sg.Storage(np.ones(1, "<f4"))

    def stride_zero(builder, snapshot):
        g_ema_buffers(snapshot, ["mapping"])["_buffers"]["w_avg"] = View(one, 0, (2 ** 31, 2 ** 31), (0, 0))

    def larger_than_storage(builder, snapshot):
        g_ema_buffers(snapshot, ["mapping"])["_buffers"]["w_avg"] = View(sg.Storage(np.ones(4, "<f4")), 0, (2 ** 28,), (1,))

    def offset_past_storage(builder, snapshot):
        g_ema_buffers(snapshot, ["mapping"])["_buffers"]["w_avg"] = View(sg.Storage(np.ones(4, "<f4")), 2 ** 40, (4,), (1,))

    def three_big_views(builder, snapshot):
        elements = 3 * 2 ** 27  # 1.5 GiB of float32
        for index, name in enumerate(["w_avg", "big1", "big2"]):
            storage = LyingStorage(np.ones(4, "<f4"), elements)
            g_ema_buffers(snapshot, ["mapping"])["_buffers"][name] = View(storage, 0, (elements,), (1,))

    def negative_stride(builder, snapshot):
        g_ema_buffers(snapshot, ["mapping"])["_buffers"]["w_avg"] = View(sg.Storage(np.ones(4, "<f4")), 3, (4,), (-1,))

    views = [("stride-zero.pkl", stride_zero), ("view-larger-than-storage.pkl", larger_than_storage),
             ("offset-past-storage.pkl", offset_past_storage), ("three-1.5GiB-views.pkl", three_big_views),
             ("negative-stride.pkl", negative_stride)]
    for name, tweak in views:
        path = corpus.write(f"pickle/{name}", nvidia_pickle(tweak))
        corpus.add(f"pickle-views/{name}", "pickle-views", "import", [path],
                   mentions=["stride", "storage", "view", "size", "offset", "elements", "bytes"])
    corpus.add("pickle-views/stride-zero.pkl/fid-inception", "pickle-views", "fid-inception", ["pickle/stride-zero.pkl"],
               mentions=["stride", "storage", "view", "size", "inception", "pickle"])
    add_code_pickle_cases(corpus)
    add_memo_and_size_pickle_cases(corpus)


def add_code_pickle_cases(corpus):
    """Globals that would run code (os.system, eval, Popen), alone, inside a network's kwargs and in a torch zip."""
    canary_command = "touch pwned"
    code = [("os-system.pkl", b"\x80\x02cos\nsystem\n", "os.system"), ("posix-system.pkl", b"\x80\x02cposix\nsystem\n", "posix.system"),
            ("builtins-eval.pkl", b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93", "eval"),
            ("subprocess-popen.pkl", b"\x80\x04\x8c\nsubprocess\x8c\x05Popen\x93", "Popen")]
    for name, global_bytes, mention in code:
        argument = "__import__('os').system('touch pwned')" if mention == "eval" else canary_command
        data = global_bytes + b"X" + struct.pack("<I", len(argument)) + argument.encode() + b"\x85R."
        path = corpus.write(f"pickle/{name}", data)
        corpus.add(f"pickle-code/{name}", "pickle-code", "import", [path], mentions=[mention], must_not_exist=["pwned"])
    # The same call hidden inside a network's persistent-object meta, where the importer walks state.
    def system_in_state(builder, snapshot):
        g_ema_buffers(snapshot, [])["_init_kwargs"] = Reduce(canary_command)
    path = corpus.write("pickle/os-system-in-kwargs.pkl", nvidia_pickle(system_in_state))
    corpus.add("pickle-code/os-system-in-kwargs.pkl", "pickle-code", "import", [path], mentions=["system"], must_not_exist=["pwned"])
    path = corpus.write("pickle/os-system.pt", torch_zip_bytes(b"\x80\x02cos\nsystem\nX\x0b\x00\x00\x00touch pwned\x85R."))
    corpus.add("pickle-code/os-system-in-torch-zip", "pickle-code", "import", [path], mentions=["os.system"], must_not_exist=["pwned"])
    corpus.add("pickle-code/os-system-as-inception", "pickle-code", "fid-inception", [path], mentions=["os.system"], must_not_exist=["pwned"])


def add_memo_and_size_pickle_cases(corpus):
    """ESC in a global's name, memo abuse, deep nesting and huge LONG4 integers (the last two built at test time)."""
    escape = b"\x80\x02cos\x1b[31m\nsystem\x1b[2J\nX\x01\x00\x00\x00x\x85R."
    path = corpus.write("pickle/ansi-global-name.pkl", escape)
    corpus.add("control-bytes/ansi-global-name.pkl", "control-bytes", "import", [path], mentions=["system"])

    memo = [("memo-huge-index.pkl", b"\x80\x02]r\xff\xff\xff\xffj\xff\xff\xff\xff."),
            ("memo-unset-get.pkl", b"\x80\x02j\x10\x27\x00\x00."),
            ("memo-self-cycle.pkl", b"\x80\x02]q\x00h\x00a."),
            ("memo-billion-laughs.pkl", billion_laughs_pickle()),
            ("memo-cycle-as-kwargs.pkl", nvidia_pickle(lambda b, s: g_ema_buffers(s, [])["_init_kwargs"].update(SelfList.make())))]
    for name, data in memo:
        path = corpus.write(f"pickle/{name}", data)
        # The hazard is memory and recursion: any well-formed refusal will do.
        corpus.add(f"pickle-memo/{name}", "pickle-memo", "import", [path])
    for depth in (100_000, 1_000_000):
        corpus.add(f"pickle-deep-nesting/lists-{depth}", "pickle-deep-nesting", "import", [],
                   build={"kind": "deep-pickle", "depth": depth, "opener": "]", "closer": "a"},
                   mentions=["nest", "depth", "deep", "stack", "limit"])
    corpus.add("pickle-deep-nesting/marks-200000", "pickle-deep-nesting", "import", [],
               build={"kind": "deep-pickle", "depth": 200_000, "opener": "(", "closer": "t"},
               mentions=["nest", "depth", "deep", "stack", "limit", "mark"])
    for megabytes in (8, 64):
        corpus.add(f"pickle-long4/{megabytes}MB", "pickle-long4", "import", [],
                   build={"kind": "long4-pickle", "bytes": megabytes * 2 ** 20})  # time and memory are the hazard


class Reduce:
    """`os.system(argument)` as the pickler writes it: GLOBAL posix system + argument + REDUCE."""

    def __init__(self, argument):
        self.argument = argument

    def __reduce__(self):
        return os.system, (self.argument,)


def billion_laughs_pickle():
    """A list of 10 references to a list of 10 references ... 30 levels: 10^30 elements if walked as a tree."""
    data = bytearray(b"\x80\x02]q\x00")
    for level in range(1, 31):
        data += b"(" + b"h" + bytes([level - 1]) + (b"h" + bytes([level - 1])) * 9 + b"lq" + bytes([level])
    return bytes(data) + b"."


class SelfList(list):
    @staticmethod
    def make():
        cycle = []
        cycle.append(cycle)
        return {"mapping_kwargs": cycle}


# MARK: zip archives and torch.save files


def zip_archive(members, claimed_entries=None, align=64):
    """A zip of `members` (dicts: name, data, method 0/8, and lies: local_name, local_sizes, central_sizes,
    central_offset, same_as (index of an earlier member whose local entry this central entry reuses))."""
    out, central, offsets = bytearray(), bytearray(), []
    for member in members:
        name, raw = member["name"].encode("utf-8", "surrogateescape"), member["data"]
        method = member.get("method", 0)
        stored = zlib.compress(raw, 9)[2:-4] if method == 8 else raw
        crc = zlib.crc32(raw)
        if "same_as" in member:
            offset = offsets[member["same_as"]]
        else:
            offset = len(out)
            local_name = member.get("local_name", member["name"]).encode("utf-8", "surrogateescape")
            padding = (-(offset + 30 + len(local_name) + 4)) % align
            extra = struct.pack("<HH", 0x4246, padding) + bytes(padding)
            out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc,
                               *member.get("local_sizes", (len(stored), len(raw))), len(local_name), len(extra))
            out += local_name + extra + stored
        offsets.append(offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc,
                               *member.get("central_sizes", (len(stored), len(raw))), len(name), 0, 0, 0, 0, 0,
                               member.get("central_offset", offset)) + name
    directory_offset = len(out)
    out += central
    count = len(members) if claimed_entries is None else claimed_entries
    if count > 0xFFFF:
        zip64_at = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(central), directory_offset)
        out += struct.pack("<IIQI", 0x07064B50, 0, zip64_at, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), directory_offset, 0)
    return bytes(out)


class ZipStorage:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class StoragePickler(pickle.Pickler):
    """Writes ZipStorage objects as torch.save's persistent ids."""

    legacy = False

    def persistent_id(self, obj):
        if isinstance(obj, ZipStorage):
            return ("storage", sg.FloatStorage, obj.key, "cpu", obj.numel) + ((None,) if self.legacy else ())
        return None


def storage_pickle(state_dict, legacy=False):
    out = io.BytesIO()
    pickler = StoragePickler(out, protocol=2)
    pickler.legacy = legacy
    pickler.dump(state_dict)
    return out.getvalue()


def generator_tensors(valid):
    with h5py.File(valid, "r") as file:
        group = file["networks/G_ema"]
        return [(name, group[name][()].astype("<f4")) for name in group]


def state_dict(tensors, overrides=None):
    """OrderedDict of views over one storage per tensor; `overrides` maps a name to (View, extra storages)."""
    entries, storages = collections.OrderedDict(), []
    for index, (name, values) in enumerate(tensors):
        if overrides and name in overrides:
            entries[name], extra = overrides[name]
            storages += extra
            continue
        storage = ZipStorage(str(index), values.size)
        shape = values.shape
        stride = tuple(int(np.prod(shape[i + 1:])) for i in range(len(shape)))
        entries[name] = View(storage, 0, shape, stride)
        storages.append((storage, values.tobytes()))
    return entries, storages


def torch_zip_bytes(data_pkl, storages=(), byteorder=b"little", method=0, extra_members=(), prefix="archive"):
    members = [{"name": f"{prefix}/data.pkl", "data": data_pkl}]
    if byteorder is not None:
        members.append({"name": f"{prefix}/byteorder", "data": byteorder})
    members += [{"name": f"{prefix}/data/{storage.key}", "data": raw, "method": method} for storage, raw in storages]
    members.append({"name": f"{prefix}/version", "data": b"3\n"})
    return zip_archive(members + list(extra_members))


def legacy_torch_bytes(entries, storages, count_override=None):
    """torch.save(_use_new_zipfile_serialization=False): magic, protocol, sys_info, object, keys, storages."""
    out = io.BytesIO()
    for header in (sg.LEGACY_MAGIC, 1001, {"protocol_version": 1001, "little_endian": True,
                                           "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, out, protocol=2)
    out.write(storage_pickle(entries, legacy=True))
    pickle.dump([storage.key for storage, _ in storages], out, protocol=2)
    for storage, raw in storages:
        out.write(struct.pack("<q", count_override if count_override is not None else len(raw) // 4) + raw)
    return out.getvalue()


def add_torch_cases(corpus, valid):
    tensors = generator_tensors(valid)
    one = ZipStorage("one", 1)
    four = ZipStorage("four", 4)
    views = {"stride-zero": {"mapping.w_avg": (View(one, 0, (2 ** 31, 2 ** 31), (0, 0)), [(one, bytes(4))])},
             "view-larger-than-storage": {"mapping.w_avg": (View(four, 0, (2 ** 28,), (1,)), [(four, bytes(16))])},
             "three-1.5GiB-views": {name: (View(ZipStorage(f"big{i}", 3 * 2 ** 27), 0, (3 * 2 ** 27,), (1,)),
                                           [(ZipStorage(f"big{i}", 3 * 2 ** 27), bytes(16))])
                                    for i, name in enumerate(["mapping.w_avg", "mapping.fc0.bias", "mapping.fc1.bias"])}}
    view_mentions = ["stride", "storage", "view", "size", "elements", "bytes"]
    entries, storages = state_dict(tensors)
    valid_zip = corpus.write("torch/valid-state-dict.pt", torch_zip_bytes(storage_pickle(entries), storages))
    corpus.add("control/valid-state-dict.pt", "control", "import", [valid_zip], expect="survive", status=0)
    for name, overrides in views.items():
        entries, storages = state_dict(tensors, overrides)
        path = corpus.write(f"torch/{name}.pt", torch_zip_bytes(storage_pickle(entries), storages))
        corpus.add(f"torch-zip-views/{name}.pt", "torch-zip-views", "import", [path], mentions=view_mentions)
        path = corpus.write(f"torch/{name}.legacy.pt", legacy_torch_bytes(entries, storages))
        corpus.add(f"torch-legacy-views/{name}.legacy.pt", "torch-legacy-views", "import", [path], mentions=view_mentions)
    corpus.add("torch-zip-views/stride-zero.pt/fid-inception", "torch-zip-views", "fid-inception", ["torch/stride-zero.pt"],
               mentions=view_mentions + ["inception"])
    entries, storages = state_dict(tensors)
    path = corpus.write("torch/legacy-count-2p60.legacy.pt", legacy_torch_bytes(entries, storages, count_override=2 ** 60))
    corpus.add("torch-legacy-views/legacy-count-2p60.legacy.pt", "torch-legacy-views", "import", [path],
               mentions=view_mentions + ["count", "truncat"])

    data_pkl = storage_pickle(entries)
    byteorders = [("no-byteorder.pt", None, "survive", []), ("byteorder-big.pt", b"big", "survive", ["byteorder", "big"]),
                  ("byteorder-garbage.pt", b"middle\xff\x00" * 30, "refusal", ["byteorder"]),
                  ("byteorder-empty.pt", b"", "refusal", ["byteorder"])]
    for name, order, expect, mentions in byteorders:
        path = corpus.write(f"torch/{name}", torch_zip_bytes(data_pkl, storages, byteorder=order))
        corpus.add(f"torch-zip-byteorder/{name}", "torch-zip-byteorder", "import", [path], expect=expect, mentions=mentions)
    path = corpus.write("torch/deflated.pt", torch_zip_bytes(data_pkl, storages, method=8))
    corpus.add("torch-zip-deflated/deflated.pt", "torch-zip-deflated", "import", [path], expect="survive", mentions=["deflat", "compress", "stored"])
    corpus.add("torch-zip-deflated/deflated.pt/fid-inception", "torch-zip-deflated", "fid-inception", [path], expect="survive",
               mentions=["deflat", "compress", "stored", "inception"])
    add_zip_lie_cases(corpus, data_pkl, storages)


def add_zip_lie_cases(corpus, data_pkl, storages):
    def members(edit):
        listed = [{"name": "archive/data.pkl", "data": data_pkl}, {"name": "archive/byteorder", "data": b"little"}]
        listed += [{"name": f"archive/data/{storage.key}", "data": raw} for storage, raw in storages]
        edit(listed)
        return listed

    index_of = 2 + 3  # a data member in the middle
    lies = {
        "central-sizes-larger": lambda m: m[index_of].update(central_sizes=(2 ** 31, 2 ** 31)),
        "local-sizes-larger": lambda m: m[index_of].update(local_sizes=(2 ** 31, 2 ** 31)),
        "central-offset-past-end": lambda m: m[index_of].update(central_offset=2 ** 31),
        "central-offset-into-member": lambda m: m[index_of].update(central_offset=40),
        "local-name-differs": lambda m: m[index_of].update(local_name="archive/data/999"),
        "pickle-size-lies": lambda m: m[0].update(central_sizes=(len(data_pkl) * 1000, len(data_pkl) * 1000)),
        "overlapping-members": lambda m: m[index_of + 1].update(same_as=index_of),
        "overlapping-pickle-and-data": lambda m: m[index_of].update(central_offset=0),
        "escape-in-member-name": lambda m: m[index_of].update(name=m[index_of]["name"] + "\x1b[2J\x1b]0;x\x07"),
    }
    for name, edit in lies.items():
        path = corpus.write(f"torch/{name}.pt", zip_archive(members(edit)))
        cls = "control-bytes" if "escape" in name else ("torch-zip-overlap" if "overlap" in name else "torch-zip-lying-headers")
        expect = "survive" if name == "overlapping-members" else "refusal"
        corpus.add(f"{cls}/{name}.pt", cls, "import", [path], expect=expect,
                   mentions=["zip", "header", "offset", "size", "overlap", "member", "data/"])
    path = corpus.write("torch/eocd-100k-entries.pt", zip_archive(members(lambda m: None), claimed_entries=100_000))
    corpus.add("zip-entry-count/eocd-100k-entries.pt", "zip-entry-count", "import", [path], mentions=["zip", "entries", "directory"])
    path = corpus.write("torch/eocd-2p62-entries.pt", zip_archive(members(lambda m: None), claimed_entries=2 ** 62))
    corpus.add("zip-entry-count/eocd-2p62-entries.pt", "zip-entry-count", "import", [path], mentions=["zip", "entries", "directory"])
    # Built at test time: a data member deflating to 3 GiB from ~3 MB, with honest and with lying sizes, and
    # ten central entries sharing that member.
    gib3 = 3 * 2 ** 30
    bomb_parts = corpus.write("torch/bomb-data.pkl", storage_pickle(
        collections.OrderedDict([("mapping.w_avg", View(ZipStorage("0", gib3 // 4), 0, (gib3 // 4,), (1,)))])))
    for name, declared, copies in [("honest-sizes", gib3, 1), ("declared-1KiB", 1024, 1), ("ten-entries-one-member", gib3, 10)]:
        build = {"kind": "zip-bomb", "pickle": bomb_parts, "inflated": gib3, "declared": declared, "copies": copies,
                 "member": "archive/data/0"}
        corpus.add(f"torch-zip-bomb/{name}", "torch-zip-bomb", "import", [], build=build,
                   mentions=["zip", "size", "inflat", "compress", "large", "deflat"] + (["member", "overlap"] if copies > 1 else []))
    corpus.add("torch-zip-bomb/pickle-member", "torch-zip-bomb", "import", [],
               build={"kind": "zip-bomb", "inflated": gib3, "declared": gib3, "copies": 1, "member": "archive/data.pkl"},
               mentions=["zip", "size", "inflat", "compress", "large", "deflat", "pickle"])
    corpus.add("torch-zip-bomb/as-inception", "torch-zip-bomb", "fid-inception", [],
               build={"kind": "zip-bomb", "pickle": bomb_parts, "inflated": gib3, "declared": gib3, "copies": 1,
                      "member": "archive/data/0"},
               mentions=["zip", "size", "inflat", "compress", "large", "deflat", "inception"])


# MARK: numpy


def npy(descr, shape, data=b"", fortran=False, header=None):
    text = header if header is not None else \
        "{'descr': %r, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, "(%s)" % "".join(f"{d}, " for d in shape))
    text += " " * ((64 - (10 + len(text) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin-1") + data


def add_numpy_cases(corpus):
    ws_shape = (1, 4, 4)  # [N, num_ws, w_dim] of the tiny generator
    good = np.zeros(ws_shape, "<f4")
    object_payload = pickle.dumps([os.system], protocol=2)
    variants = [
        ("huge-shape.npy", npy("<f4", (2 ** 40, 4, 4), good.tobytes()), ["shape", "size", "data"]),
        ("overflowing-shape.npy", npy("<f4", (2 ** 62, 2 ** 62, 4), good.tobytes()), ["shape", "overflow", "size"]),
        ("negative-shape.npy", npy("<f4", (-1, 4, 4), good.tobytes()), ["shape", "negative"]),
        ("object-dtype.npy", npy("|O", (1,), object_payload), ["object", "dtype", "descr"]),
        ("fortran-order.npy", npy("<f4", ws_shape, good.tobytes(), fortran=True), ["fortran"]),
        ("truncated-data.npy", npy("<f4", ws_shape, good.tobytes()[:20]), ["truncat", "short", "size", "data", "bytes"]),
        ("header-length-lies.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f4'", ["header", "truncat"]),
        ("header-not-a-dict.npy", npy("", (), good.tobytes(), header="__import__('os').system('touch pwned')"), ["header"]),
        ("big-endian-f8.npy", npy(">f8", ws_shape, np.zeros(ws_shape, ">f8").tobytes()), []),
        ("escape-in-descr.npy", npy("<f4\x1b[2J", ws_shape, good.tobytes()), ["descr", "dtype"]),
    ]
    for name, data, mentions in variants:
        path = corpus.write(f"npy/{name}", data)
        cls = "control-bytes" if "escape" in name else "npy"
        corpus.add(f"{cls}/{name}/ws", cls, "ws", [path], expect="refusal" if mentions else "survive", mentions=mentions,
                   must_not_exist=["pwned"])
        if name in ("huge-shape.npy", "object-dtype.npy", "truncated-data.npy", "overflowing-shape.npy"):
            corpus.add(f"{cls}/{name}/score-images", cls, "score-images", [path], mentions=mentions)
    for name, value in [("nan", np.nan), ("inf", np.inf), ("minus-inf", -np.inf), ("huge", np.float32(3e38))]:
        values = good.copy()
        values[0, 1, 2] = value
        path = corpus.write(f"npy/ws-{name}.npy", npy("<f4", ws_shape, values.tobytes()))
        # Non-finite latents make non-finite pixels: written clamped (NaN as mid-grey) with a warning.
        expect = "survive" if name == "huge" else "warning"
        corpus.add(f"npy-nonfinite-ws/ws-{name}.npy", "npy-nonfinite-ws", "ws", [path], expect=expect,
                   mentions=["nan", "inf", "finite"])
    npz = zip_archive([{"name": "ws.npy", "data": npy("<f4", (2 ** 40, 4, 4), good.tobytes())}])
    path = corpus.write("npy/huge-shape.npz", npz)
    corpus.add("npz/huge-shape.npz/ws", "npz", "ws", [path], mentions=["npy", "zip", "numpy", "format"])
    corpus.add("npz/huge-shape.npz/import", "npz", "import", [path], mentions=["npy", "zip", "numpy", "format", "torch"])
    corpus.add("npz/bomb/ws", "npz", "ws", [], build={"kind": "zip-bomb", "inflated": 3 * 2 ** 30, "declared": 3 * 2 ** 30,
                                                       "copies": 1, "member": "ws.npy", "name": "ws.npz"},
               mentions=["npy", "zip", "numpy", "format", "size"])


# MARK: safetensors


def safetensors(header, data=b"", length=None):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def add_safetensors_cases(corpus, valid):
    tensors = generator_tensors(valid)
    header, data = {}, bytearray()
    for name, values in tensors:
        header[name] = {"dtype": "F32", "shape": list(values.shape), "data_offsets": [len(data), len(data) + values.nbytes]}
        data += values.tobytes()
    valid_file = safetensors(header, bytes(data))
    corpus.add("control/valid.safetensors", "control", "import", [corpus.write("safetensors/valid.safetensors", valid_file)],
               expect="survive", status=0)

    def edited(change):
        copy = json.loads(json.dumps(header))
        change(copy)
        return safetensors(copy, bytes(data))

    last = tensors[-1][0]
    variants = [
        ("header-length-past-end.safetensors", safetensors(header, bytes(data), length=len(valid_file) * 4), ["header"]),
        ("header-length-2p63.safetensors", safetensors(header, bytes(data), length=2 ** 63), ["header"]),
        ("header-length-9MB-short-file.safetensors", safetensors(header, bytes(data), length=9 * 2 ** 20), ["header"]),
        ("offsets-past-end.safetensors", edited(lambda h: h[last].update(data_offsets=[0, 2 ** 40])), ["offset"]),
        ("offsets-reversed.safetensors", edited(lambda h: h[last].update(data_offsets=[64, 0])), ["offset"]),
        ("offsets-overlapping.safetensors", edited(lambda h: h[last].update(data_offsets=[0, h[last]["data_offsets"][1] - h[last]["data_offsets"][0]])), ["offset", "overlap"]),
        ("shape-disagrees-with-offsets.safetensors", edited(lambda h: h[last].update(shape=[2 ** 31, 2 ** 31])), ["shape", "offset", "size"]),
        ("negative-shape.safetensors", edited(lambda h: h[last].update(shape=[-4])), ["shape"]),
        ("header-not-json.safetensors", safetensors(b"{\"a\": [[[[[[" + b"\xff" * 32, bytes(data)), ["header", "json"]),
        ("escape-in-name.safetensors", edited(lambda h: h.update({"mapping.w_avg\x1b[2J": h.pop("mapping.w_avg")})), ["w_avg"]),
    ]
    for name, content, mentions in variants:
        path = corpus.write(f"safetensors/{name}", content)
        cls = "control-bytes" if "escape" in name else "safetensors"
        corpus.add(f"{cls}/{name}", cls, "import", [path], mentions=mentions)
    corpus.add("safetensors/huge-header-9MB", "safetensors", "import", [],
               build={"kind": "safetensors-huge-header", "entries": 150_000},
               mentions=["header", "tensor", "offset", "unexpected", "unknown"])


# MARK: PNG and data sets


def png_chunk(kind, data, crc=None):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) if crc is None else crc)


def png(width, height, rows=None, color_type=2, idat=None, crc_override=None):
    channels = {0: 1, 2: 3, 6: 4}[color_type]
    if idat is None:
        raw = rows if rows is not None else b"".join(b"\x00" + bytes(width * channels) for _ in range(height))
        idat = zlib.compress(raw)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
            + png_chunk(b"IDAT", idat, crc_override)
            + png_chunk(b"IEND", b""))


def valid_images(count=4):
    rng = np.random.RandomState(1)
    images = []
    for _ in range(count):
        pixels = rng.randint(0, 256, (8, 8, 3)).astype(np.uint8)
        images.append(png(8, 8, b"".join(b"\x00" + row.tobytes() for row in pixels)))
    return images


def add_png_cases(corpus):
    good = valid_images()
    corpus.write("data/valid.zip", zip_archive([{"name": f"img{i:04d}.png", "data": image} for i, image in enumerate(good)], align=1))
    corpus.write("npy/images.npy", npy("<f4", (2, 3, 8, 8), np.zeros((2, 3, 8, 8), "<f4").tobytes()))
    huge_ihdr = png(10 ** 6, 10 ** 6, idat=zlib.compress(b"\x00" * 16))
    assert len(huge_ihdr) < 80, len(huge_ihdr)
    truncated_idat = good[0][:60]
    bad_crc = png(8, 8, idat=zlib.compress(b"\x00" * (8 * 25)), crc_override=0xDEADBEEF)
    pngs = [("huge-ihdr.png", huge_ihdr, ["size", "large", "dimension", "pixels", "width"]),
            ("truncated-idat.png", truncated_idat, ["png", "truncat", "idat", "decode", "read"]),
            ("bad-crc.png", bad_crc, ["crc", "png", "decode", "corrupt"]),
            ("not-png.png", b"GIF89a" + bytes(64), ["png", "signature", "not"])]
    commands = ["dataset-convert", "dataset-info", "score-images", "train-data", "fid-data"]
    zip_commands = [command for command in commands if command != "score-images"]  # score reads folders and .npy
    for index, (name, content, mentions) in enumerate(pngs):
        path = corpus.write(f"png/{name}", content)
        for command in rotate(commands, index, 3):
            corpus.add(f"png-folder/{name}/{command}", "png-folder", command, [path, "png/good.png"], input_folder=True, mentions=mentions)
        archive = corpus.write(f"zip/{name}.zip", zip_archive([{"name": "a.png", "data": good[0]}, {"name": name, "data": content}], align=1))
        for command in rotate(zip_commands, index + 2, 2):
            corpus.add(f"png-zip/{name}/{command}", "png-zip", command, [archive], mentions=mentions)
    corpus.write("png/good.png", good[0])
    # A backslash is an ordinary character in a POSIX name (a traversal only for Windows tools): refusing is optional.
    traversal = [("traversal-dotdot.zip", "../../x.png", "refusal", zip_commands),
                 ("traversal-absolute.zip", "/tmp/toonkit-hostile-x.png", "refusal", zip_commands),
                 ("traversal-backslash.zip", "..\\..\\x.png", "survive", ["dataset-convert", "dataset-info", "train-data"])]
    for index, (name, member, expect, selected) in enumerate(traversal):
        path = corpus.write(f"zip/{name}", zip_archive([{"name": "a.png", "data": good[0]}, {"name": member, "data": good[1]}], align=1))
        for command in rotate(selected, index, 3):
            corpus.add(f"zip-path-traversal/{name}/{command}", "zip-path-traversal", command, [path], expect=expect,
                       mentions=["..", "path", "name", "absolute"], must_not_exist=["../x.png", "../../x.png", "/tmp/toonkit-hostile-x.png"])
    path = corpus.write("zip/escape-in-name.zip", zip_archive([{"name": "a.png", "data": good[0]},
                                                               {"name": "b\x1b[2J\x1b]0;x\x07.png", "data": b"junk"}], align=1))
    corpus.add("control-bytes/escape-in-png-name.zip", "control-bytes", "dataset-info", [path], mentions=["png", "b"])
    path = corpus.write("zip/eocd-100k-entries.zip", zip_archive([{"name": "a.png", "data": good[0]}], claimed_entries=100_000, align=1))
    for command in ["dataset-info", "dataset-convert", "train-data"]:
        corpus.add(f"zip-entry-count/eocd-100k-entries.zip/{command}", "zip-entry-count", command, [path], mentions=["zip", "entries", "directory"])
    corpus.add("zip-entry-count/100k-real-entries.zip", "zip-entry-count", "dataset-info", [],
               build={"kind": "zip-many-entries", "entries": 100_000}, expect="survive", mentions=["zip", "entries", "png"])
    for command in ["dataset-convert", "dataset-info", "fid-data"]:
        corpus.add(f"png-bomb/zip/{command}", "png-bomb", command, [], build={"kind": "png-bomb", "side": 32_768, "container": "zip"},
                   mentions=["size", "large", "dimension", "pixels", "resolution"])
    corpus.add("png-bomb/folder/score-images", "png-bomb", "score-images", [],
               build={"kind": "png-bomb", "side": 32_768, "container": "folder"}, mentions=["size", "large", "dimension", "pixels", "resolution"])
    corpus.add("png-bomb/deflate-member/dataset-info", "png-bomb", "dataset-info", [],
               build={"kind": "zip-bomb", "inflated": 3 * 2 ** 30, "declared": 3 * 2 ** 30, "copies": 1, "member": "bomb.png", "name": "bomb.zip"},
               mentions=["size", "large", "png", "zip", "inflat"])


# MARK: recipes and odd file types


def add_recipe_cases(corpus):
    laughs = "toonkit_recipe: 1\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for level in range(1, 10):
        laughs += f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]\n"
    laughs += "operation: swap\ninputs: {base: *l9, style: *l9}\nparameters: {at: 4}\noutput: out.h5\n"
    recipes = [("billion-laughs.yaml", laughs, ["alias", "anchor", "recipe", "unknown", "key", "l0"]),
               ("deep-nesting.yaml", "toonkit_recipe: 1\noperation: " + "[" * 50_000 + "]" * 50_000 + "\n",
                ["recipe", "operation", "nest", "depth", "deep"]),
               ("escape-in-operation.yaml", 'toonkit_recipe: 1\noperation: "swap\\e[2J\\e]0;x\\a"\ninputs: {base: a.h5, style: b.h5}\noutput: out.h5\n',
                ["operation", "swap"])]
    for name, text, mentions in recipes:
        path = corpus.write(f"recipe/{name}", text.encode())
        cls = "control-bytes" if "escape" in name else "recipe"
        for command in ["run", "run-dry"]:
            corpus.add(f"{cls}/{name}/{command}", cls, command, [path], mentions=mentions, must_not_exist=["out.h5"])
    devices = "toonkit_recipe: 1\noperation: swap\ninputs: {base: /dev/zero, style: /dev/zero}\nparameters: {at: 4}\noutput: out.h5\n"
    path = corpus.write("recipe/dev-zero-inputs.yaml", devices.encode())
    corpus.add("odd-file-type/recipe-dev-zero-inputs", "odd-file-type", "run", [path], error_path="/dev/zero",
               mentions=["device", "regular file"], must_not_exist=["out.h5"])
    external = "toonkit_recipe: 1\noperation: swap\ninputs: {base: valid.h5, style: ext-canary.h5}\nparameters: {at: 4}\noutput: out.h5\n"
    path = corpus.write("recipe/external-storage-style.yaml", external.encode())
    corpus.add("hdf5-external-storage/recipe-style", "hdf5-external-storage", "run", [path, "h5/ext-canary.h5"],
               error_path="{case}/ext-canary.h5", mentions=["external"], must_not_exist=["out.h5"],
               canary={"file": "secret.txt", "text": CANARY_TEXT})


EVERY_READER = ["import", "validate", "generate", "ws", "diff", "run", "fid-inception", "dataset-info", "train-data", "score-images"]
# Made at test time: kind -> (what the refusal mentions, the commands it is given to).
ODD_TYPES = {
    "fifo": (["pipe", "fifo", "regular file"], EVERY_READER),
    "dev-zero": (["device", "regular file"], EVERY_READER),
    "symlink-to-dev-zero": (["device", "regular file"], ["import", "inspect", "export", "swap", "fid-data"]),
    "directory": (["directory", "regular file"], ["import", "validate", "generate", "ws", "run", "fid-inception"]),
    "symlink-loop": (["symbolic link", "loop", "too many levels", "links"],
                     ["import", "inspect", "generate", "ws", "merge", "run", "dataset-convert", "fid-data"]),
}


def add_odd_type_cases(corpus):
    for kind, (mentions, commands) in ODD_TYPES.items():
        for command in commands:
            corpus.add(f"odd-file-type/{kind}/{command}", "odd-file-type", command, [], build={"kind": kind}, mentions=mentions)
    empty = corpus.write("odd/empty", b"")
    for command in ["import", "validate", "generate", "ws", "run", "fid-inception", "dataset-info", "train-data"]:
        corpus.add(f"odd-file-type/empty/{command}", "odd-file-type", command, [empty],
                   mentions=["empty", "truncat", "format", "hdf5", "signature", "end of file", "recipe", "zip", "npy", "numpy"])


def add_control_cases(corpus):
    """Valid inputs: these pass today and show that the harness itself works."""
    corpus.add("control/validate-valid.h5", "control", "validate", ["h5/valid.h5"], expect="survive", status=0)
    corpus.add("control/generate-valid.h5", "control", "generate", ["h5/valid.h5"], expect="survive", status=0)
    corpus.add("control/dataset-info-valid.zip", "control", "dataset-info", ["data/valid.zip"], expect="survive", status=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toonkit", default=os.path.join(REPOSITORY, ".build", "release", "toonkit"))
    args = parser.parse_args()
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    corpus = Corpus(CORPUS)
    work = tempfile.mkdtemp()
    try:
        valid = make_valid_checkpoint(args.toonkit, work)
        with open(valid, "rb") as file:
            corpus.write("h5/valid.h5", file.read())
        add_control_cases(corpus)
        add_hdf5_cases(corpus, valid)
        add_pickle_cases(corpus)
        add_torch_cases(corpus, valid)
        add_numpy_cases(corpus)
        add_safetensors_cases(corpus, valid)
        add_png_cases(corpus)
        add_recipe_cases(corpus)
        add_odd_type_cases(corpus)
    finally:
        shutil.rmtree(work)
    names = [case["name"] for case in corpus.cases]
    assert len(names) == len(set(names)), "duplicate case names"
    with open(os.path.join(CORPUS, "cases.json"), "w") as file:
        json.dump({"cases": corpus.cases}, file, indent=1, ensure_ascii=True)
        file.write("\n")
    size = sum(os.path.getsize(os.path.join(folder, name)) for folder, _, files in os.walk(CORPUS) for name in files)
    classes = sorted({case["class"] for case in corpus.cases})
    print(f"{len(corpus.cases)} cases in {len(classes)} classes, {size / 1e6:.2f} MB in {CORPUS}")


if __name__ == "__main__":
    main()
