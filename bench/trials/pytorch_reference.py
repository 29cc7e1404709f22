#!/usr/bin/python3
"""Reference throughput of the same CNN in PyTorch, for bench/trials/run.sh (Debian's python3-torch, CPU)
and bench/gpu/run-on-gpu.sh (the GPU machine's PyTorch, --device cuda).

Trains the benchmark model (conv 32/64, FC 128, Adam, batch 128) on the first N MNIST training
images and prints one JSON line per epoch with images/s of the training loop only (data already
in one tensor, as the worker does), with the same optional batched augmentation. On CUDA it trains
as the worker does there: data, shuffle and augmentation random numbers on the device, the loss
summed on the device and read once per epoch (the clock stops after a synchronize).
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path, header):
    with open(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=header)


def build(batch_norm, dropout):
    layers, cin = [], 1
    for cout in (32, 64):
        layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=not batch_norm)]
        if batch_norm:
            layers += [nn.BatchNorm2d(cout)]
        layers += [nn.ReLU(), nn.MaxPool2d(2)]
        cin = cout
    layers += [nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 10)]
    return nn.Sequential(*layers)


def augment(x, gen, degrees, translate, background):
    n = x.shape[0]
    u = lambda: torch.rand(n, generator=gen, device=x.device) * 2 - 1
    angle = u() * math.radians(degrees)
    tx, ty = u() * 2 * translate, u() * 2 * translate
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x - background, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + background


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--batch-norm", action="store_true")
    p.add_argument("--rotation", type=float, default=0.0)
    p.add_argument("--translate", type=float, default=0.0)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    a = p.parse_args()
    dev = torch.device(a.device)

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    mean, std = 0.1307, 0.3081
    pixels = read_idx(os.path.join(a.data_dir, "train-images-idx3-ubyte"), 16)[: a.images * 784]
    labels = read_idx(os.path.join(a.data_dir, "train-labels-idx1-ubyte"), 8)[: a.images]
    x_all = ((torch.from_numpy(pixels.copy()).float() / 255.0 - mean) / std).reshape(-1, 1, 28, 28)
    y_all = torch.from_numpy(labels.astype(np.int64))
    x_all, y_all = x_all.to(dev), y_all.to(dev)
    model = build(a.batch_norm, 0.25).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator(device=dev).manual_seed(1)
    on_cpu = dev.type == "cpu"
    aug = a.rotation > 0 or a.translate > 0
    background = (0 - mean) / std
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = torch.randperm(a.images, generator=gen, device=dev)
        start, total = time.perf_counter(), 0.0 if on_cpu else torch.zeros((), dtype=torch.float64, device=dev)
        for i in range(0, a.images, a.batch_size):
            idx = order[i : i + a.batch_size]
            x, y = x_all.index_select(0, idx), y_all.index_select(0, idx)
            if aug:
                x = augment(x, gen, a.rotation, a.translate, background)
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            if on_cpu:
                total += loss.item() * len(idx)
            else:
                total += loss.detach().double() * len(idx)
        total = float(total)  # waits for the device's queue on CUDA
        secs = time.perf_counter() - start
        print(json.dumps({"event": "epoch", "epoch": epoch, "train_loss": total / a.images,
                          "images_per_s": a.images / secs, "torch": torch.__version__, "device": a.device}), flush=True)


if __name__ == "__main__":
    main()
