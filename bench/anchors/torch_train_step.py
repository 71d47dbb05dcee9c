#!/usr/bin/env python3
"""PyTorch anchor for the topofr bench's train-step cases: one SGD step of the same IResNet and
softmax head as src/bench/cases/train.ts, on the CPU, on the same input file.

usage: torch_train_step.py FILE BATCH INPUT_SIZE --width W --classes C --embedding E
                           --threads T [--depth 18] [--runs R] [--warmup W] [--clock wall|cpu]

FILE holds BATCH x INPUT_SIZE x INPUT_SIZE x 3 little-endian float32 values (NHWC, as tfjs reads
them); they are permuted to NCHW once, outside the timing. The model is the official arcface_torch
iresnet layout (see src/model/iresnet.ts) of iresnet_torch.py, the embedding BN's weight
trainable as in TopoFR (and in topofr's tfjs model by default),
then logits = emb @ W + b and softmax cross-entropy on the labels (i * 7919) % C, SGD lr 0.1.
One step = zero_grad, forward (train mode), loss, backward, optimizer.step. Weights are seeded
(conv ~ N(0, 0.1), BN 1/0, PReLU 0.25, Linear PyTorch's default, head W ~ N(0, 0.01), b = 0):
the numbers are timings, the loss is reported only as a sanity check.

--clock cpu times each step with time.process_time (this process's CPU time, all its threads),
which leaves out the time it waits for a core: on a shared machine, with --threads 1, it compares
with bench/train-step-cpu.mjs. Prints one JSON line: the step's median/min/max in ms, the loss after the last timed step, the
parameter count, torch's version and thread count, and the peak RSS of this process.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from iresnet_torch import LAYERS, IResNet

LR = 0.1


def stats(samples):
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("batch", type=int)
    ap.add_argument("input_size", type=int)
    ap.add_argument("--depth", type=int, choices=sorted(LAYERS), default=18)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--embedding", type=int, default=512)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    s = args.input_size
    x = np.fromfile(args.file, dtype="<f4")
    if x.size != args.batch * s * s * 3:
        sys.exit(f"{args.file}: {x.size} floats, expected {args.batch}x{s}x{s}x3")
    x = torch.from_numpy(x.astype(np.float32).reshape(args.batch, s, s, 3)).permute(0, 3, 1, 2).contiguous()
    labels = torch.tensor([(i * 7919) % args.classes for i in range(args.batch)], dtype=torch.long)

    model = IResNet(args.depth, s, args.width, args.embedding)
    head_w = nn.Parameter(torch.randn(args.embedding, args.classes) * 0.01)
    head_b = nn.Parameter(torch.zeros(args.classes))
    params = [p for p in model.parameters() if p.requires_grad] + [head_w, head_b]
    optimizer = torch.optim.SGD(params, lr=LR)
    model.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = torch.addmm(head_b, model(x), head_w)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    times, loss = [], float("nan")
    for i in range(args.warmup + args.runs):
        t0 = clock()
        loss = step()
        if i >= args.warmup:
            times.append((clock() - t0) * 1e3)

    print(json.dumps({
        "name": "PyTorch cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "runs": args.runs,
        "clock": args.clock,
        "step_ms": stats(times),
        "loss": loss,
        # As tfjs' countParams: the weights and the BN moving statistics (not the step counters).
        "params_m": sum(t.numel() for n, t in model.state_dict().items() if not n.endswith("num_batches_tracked")) / 1e6,
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
