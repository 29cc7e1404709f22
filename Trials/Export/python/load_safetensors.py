#!/usr/bin/env python3
"""Load a Mnist.Search model exported as safetensors into PyTorch, without the `safetensors` package.

Usage:
  load_safetensors.py dump   MODEL.safetensors
      Prints {"metadata": {...}, "tensors": {name: {"dtype", "shape", "values": [flat]}}} as JSON.
  load_safetensors.py logits MODEL.safetensors --sidecar MODEL.json --inputs IMAGES [--threads N]
      Rebuilds the network, loads the weights (strict) and prints {"logits": [[...], ...]} as JSON.
      IMAGES is either a .json file (a list of images, each 784 numbers or 28 lists of 28) or a raw
      file of little-endian float32 values, 784 per image. Pixels are in [0, 1]; this script applies
      the sidecar's normalisation, (x - mean) / std, before the network.

Layout assumption (must match the network built by Trials; keys are PyTorch Sequential child indices):
  model      = Sequential(OrderedDict(features=..., classifier=...))
  features   = Sequential of, for each block i = 1..conv_layers:
                 Conv2d(in, conv{i}_channels, kernel_size, padding=kernel_size // 2)
                 BatchNorm2d(conv{i}_channels)            -- only when batch_norm
                 ReLU()
                 MaxPool2d(2)
  classifier = Sequential of:
                 Flatten()
                 Linear(flat, fc_width), ReLU(), Dropout(dropout)
                 Linear(fc_width, fc2_width), ReLU(), Dropout(dropout)   -- only when fc_layers == 2
                 Linear(last_width, num_classes)
  flat = conv{conv_layers}_channels * s * s, where s is 28 halved (floor) conv_layers times.
  So with batch_norm the keys are features.0.weight, features.1.running_mean, ..., features.4.weight,
  and classifier.1.weight, classifier.4.weight (fc_layers 1: the output layer is classifier.4).

  Tolerated variants of that layout (the script tries each and uses the one whose state_dict keys and
  shapes equal the file's exactly; with none, it reports the documented layout's missing/unexpected keys):
  - named children instead of indices: features.conv1 / bn1 / relu1 / pool1 ..., classifier.flatten /
    fc1 / relu1 / dropout1 / ... / out;
  - Conv2d without bias when it is followed by BatchNorm2d;
  - no Dropout module when dropout == 0.

Sidecar (JSON): the architecture is read from "architecture", "hyperparameters" or "config" (else the top
level): conv_layers, conv1_channels..conv4_channels, kernel_size, batch_norm, fc_layers, fc_width,
fc2_width, dropout; a missing key takes the worker protocol's default (docs/worker-protocol.md), and a
wrong guess cannot go unnoticed because load_state_dict is strict about keys and shapes. Normalisation
comes from "normalisation" / "normalization" ({"mean", "std"}) or top-level "mean" / "std" (required).
Optional: "class_names" (its length is the number of classes, default 10), "input_shape" ([1, H, W]).

Exit codes: 0 success, 2 bad input (the message on stderr names the file and the problem).
"""
import argparse
import json
import struct
import sys
from collections import OrderedDict

import torch
from torch import nn

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}

DEFAULTS = {
    "conv_layers": 2, "conv1_channels": 32, "conv2_channels": 64, "conv3_channels": 128,
    "conv4_channels": 256, "kernel_size": 3, "batch_norm": True, "fc_layers": 1, "fc_width": 128,
    "fc2_width": 64, "dropout": 0.25,
}


class InputError(Exception):
    pass


def read_safetensors(path):
    """Returns (OrderedDict name -> tensor, metadata dict), reading the format by hand."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})")
    if len(raw) < 8:
        raise InputError(f"{path}: file is {len(raw)} bytes, shorter than the 8-byte header length")
    (header_len,) = struct.unpack("<Q", raw[:8])
    if header_len > len(raw) - 8:
        raise InputError(f"{path}: header length {header_len} does not fit in {len(raw)} bytes")
    try:
        header = json.loads(raw[8:8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: header is not valid JSON ({e})")
    data = bytearray(raw[8 + header_len:])
    metadata = header.pop("__metadata__", {}) or {}
    tensors = OrderedDict()
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dtype = DTYPES.get(entry["dtype"])
        if dtype is None:
            raise InputError(f"{path}: {name}.dtype '{entry['dtype']}' is not supported")
        begin, end = entry["data_offsets"]
        shape = list(entry["shape"])
        if not 0 <= begin <= end <= len(data):
            raise InputError(f"{path}: {name}.data_offsets {[begin, end]} lie outside the data section")
        count = 1
        for d in shape:
            count *= d
        if count == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            t = torch.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(shape).clone()
        if t.numel() * t.element_size() != end - begin:
            raise InputError(f"{path}: {name} shape {shape} does not match {end - begin} data bytes")
        tensors[name] = t
    return tensors, metadata


def read_sidecar(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            sidecar = json.load(f)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})")
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON ({e})")
    arch_source = sidecar
    for key in ("architecture", "hyperparameters", "config"):
        if isinstance(sidecar.get(key), dict):
            arch_source = sidecar[key]
            break
    arch = dict(DEFAULTS)
    arch.update({k: arch_source[k] for k in DEFAULTS if k in arch_source})
    norm = sidecar.get("normalisation") or sidecar.get("normalization") or sidecar
    if "mean" not in norm or "std" not in norm:
        raise InputError(f"{path}: no normalisation mean/std (expected \"normalisation\": {{\"mean\", \"std\"}})")
    arch["mean"] = float(norm["mean"])
    arch["std"] = float(norm["std"])
    arch["num_classes"] = len(sidecar["class_names"]) if isinstance(sidecar.get("class_names"), list) else 10
    shape = sidecar.get("input_shape") or [1, 28, 28]
    arch["in_channels"], arch["height"], arch["width"] = int(shape[-3]), int(shape[-2]), int(shape[-1])
    return arch


def build_model(arch, indexed=True, conv_bias_with_bn=True, dropout_when_zero=True):
    """The network for `arch`; the keyword arguments pick one of the tolerated layout variants."""
    blocks = []
    channels = arch["in_channels"]
    height, width = arch["height"], arch["width"]
    k = int(arch["kernel_size"])
    batch_norm = bool(arch["batch_norm"])
    for i in range(1, int(arch["conv_layers"]) + 1):
        out = int(arch[f"conv{i}_channels"])
        bias = conv_bias_with_bn or not batch_norm
        blocks.append((f"conv{i}", nn.Conv2d(channels, out, k, padding=k // 2, bias=bias)))
        if batch_norm:
            blocks.append((f"bn{i}", nn.BatchNorm2d(out)))
        blocks.append((f"relu{i}", nn.ReLU()))
        blocks.append((f"pool{i}", nn.MaxPool2d(2)))
        channels, height, width = out, height // 2, width // 2
    head = [("flatten", nn.Flatten())]
    last = channels * height * width
    widths = [int(arch["fc_width"])] + ([int(arch["fc2_width"])] if int(arch["fc_layers"]) >= 2 else [])
    dropout = float(arch["dropout"])
    for i, w in enumerate(widths, start=1):
        head += [(f"fc{i}", nn.Linear(last, w)), (f"relu{i}", nn.ReLU())]
        if dropout > 0 or dropout_when_zero:
            head.append((f"dropout{i}", nn.Dropout(dropout)))
        last = w
    head.append(("out", nn.Linear(last, arch["num_classes"])))

    def sequential(items):
        return nn.Sequential(OrderedDict((str(j) if indexed else name, m) for j, (name, m) in enumerate(items)))

    return nn.Sequential(OrderedDict(features=sequential(blocks), classifier=sequential(head)))


def build_matching_model(arch, tensors, model_path):
    """Builds the layout variant whose state_dict matches `tensors` exactly and loads them into it."""
    wanted = {name: tuple(t.shape) for name, t in tensors.items()}
    for indexed in (True, False):
        for conv_bias_with_bn in (True, False):
            for dropout_when_zero in (True, False):
                model = build_model(arch, indexed, conv_bias_with_bn, dropout_when_zero)
                if {n: tuple(t.shape) for n, t in model.state_dict().items()} == wanted:
                    model.load_state_dict(tensors, strict=True)
                    return model
    try:
        build_model(arch).load_state_dict(tensors, strict=True)
        problem = "shapes or keys differ"
    except RuntimeError as e:
        problem = str(e).replace("\n", " ").replace("\t", "")
    raise InputError(f"{model_path}: weights do not fit the sidecar's architecture: {problem}")


def read_inputs(path, arch):
    pixels = arch["in_channels"] * arch["height"] * arch["width"]
    if path.endswith(".json"):
        try:
            with open(path, "r", encoding="utf-8") as f:
                images = json.load(f)
            x = torch.tensor(images, dtype=torch.float32).reshape(-1, pixels)
        except (OSError, json.JSONDecodeError, ValueError, RuntimeError, TypeError) as e:
            raise InputError(f"{path}: not a JSON list of {pixels}-pixel images ({e})")
    else:
        try:
            with open(path, "rb") as f:
                raw = bytearray(f.read())
        except OSError as e:
            raise InputError(f"{path}: cannot read ({e.strerror})")
        if len(raw) == 0 or len(raw) % (4 * pixels) != 0:
            raise InputError(f"{path}: {len(raw)} bytes is not a whole number of {pixels}-float32 images")
        x = torch.frombuffer(raw, dtype=torch.float32).clone().reshape(-1, pixels)
    return x.reshape(-1, arch["in_channels"], arch["height"], arch["width"])


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["dump", "logits"])
    parser.add_argument("model")
    parser.add_argument("--sidecar")
    parser.add_argument("--inputs")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    tensors, metadata = read_safetensors(args.model)
    if args.command == "dump":
        out = {name: {"dtype": next(k for k, v in DTYPES.items() if v == t.dtype),
                      "shape": list(t.shape), "values": t.reshape(-1).tolist()}
               for name, t in tensors.items()}
        json.dump({"metadata": metadata, "tensors": out}, sys.stdout)
        return 0
    if not args.sidecar or not args.inputs:
        raise InputError("logits needs --sidecar and --inputs")
    arch = read_sidecar(args.sidecar)
    model = build_matching_model(arch, tensors, args.model)
    model.eval()
    x = (read_inputs(args.inputs, arch) - arch["mean"]) / arch["std"]
    with torch.no_grad():
        logits = model(x)
    json.dump({"logits": logits.tolist()}, sys.stdout)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
