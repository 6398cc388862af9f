#!/usr/bin/env python3
"""PyTorch as the oracle of ctnn's safetensors interop.

Builds nn.Sequential(Linear(4, 8), Tanh(), Linear(8, 6), ReLU(), Linear(6, 3)) in float64 with a
fixed seed, writes its state_dict as safetensors with plain struct/json (Debian's python3-torch
may come without the safetensors package), runs the ctnn program (tests/io/pytorch_interop.cpp)
on a batch, and compares its outputs, mean cross-entropy loss, parameter gradients and input
gradients with PyTorch's autograd. Then reads the file ctnn wrote back and checks it holds the
same tensors bit for bit.

usage: pytorch_interop.py <ctnn program>
Exit 77 (meson's "skipped") when PyTorch is not installed: the test is skipped, not faked.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

try:
    import torch
except ImportError:
    print("SKIP: PyTorch is not installed (Debian package python3-torch); nothing was compared")
    sys.exit(77)

TOLERANCE = 1e-10  # float64 on both sides; the order of summation differs


def write_safetensors(path, tensors):
    """tensors: name -> float64 tensor. Data in sorted-name order, as safetensors' writer does."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        values = tensors[name].detach().flatten().tolist()
        raw = struct.pack("<%dd" % len(values), *values)
        header[name] = {"dtype": "F64", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    """name -> (dtype, shape, list of floats)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        fmt = {"F32": "f", "F64": "d"}[info["dtype"]]
        count = (end - begin) // struct.calcsize(fmt)
        out[name] = (info["dtype"], info["shape"], list(struct.unpack("<%d%s" % (count, fmt), body[begin:end])))
    return out


def close(a, b):
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    program = sys.argv[1]
    torch.manual_seed(20240101)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 6),
                                torch.nn.ReLU(), torch.nn.Linear(6, 3)).double()
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 2, 1, 1, 0])
    targets = torch.nn.functional.one_hot(labels, 3).double()
    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, labels)  # mean over the batch
    loss.backward()

    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        model_file = os.path.join(tmp, "model.safetensors")
        batch_file = os.path.join(tmp, "batch.txt")
        back_file = os.path.join(tmp, "back.safetensors")
        write_safetensors(model_file, model.state_dict())
        with open(batch_file, "w") as f:
            f.write("%d\n" % x.shape[0])
            for row in x.detach().tolist() + targets.tolist():
                f.write(" ".join(repr(v) for v in row) + "\n")
        run = subprocess.run([program, model_file, batch_file, back_file], capture_output=True, text=True)
        if run.returncode != 0:
            print("ctnn program failed (%d):\n%s%s" % (run.returncode, run.stdout, run.stderr))
            return 1
        ys, dxs, grads, ctnn_loss = [], [], {}, None
        for line in run.stdout.splitlines():
            word, *rest = line.split()
            if word == "y":
                ys.append([float(v) for v in rest])
            elif word == "dx":
                dxs.append([float(v) for v in rest])
            elif word == "loss":
                ctnn_loss = float(rest[0])
            elif word == "grad":
                grads[rest[0]] = [float(v) for v in rest[1:]]

        def compare(what, mine, theirs):
            if len(mine) != len(theirs):
                failures.append("%s: %d values from ctnn, %d from PyTorch" % (what, len(mine), len(theirs)))
                return
            for k, (a, b) in enumerate(zip(mine, theirs)):
                if not close(a, b):
                    failures.append("%s[%d]: ctnn %.17g, PyTorch %.17g" % (what, k, a, b))

        compare("outputs", sum(ys, []), logits.detach().flatten().tolist())
        compare("loss", [ctnn_loss] if ctnn_loss is not None else [], [loss.item()])
        compare("input gradient", sum(dxs, []), x.grad.flatten().tolist())
        for name, param in model.named_parameters():
            compare("gradient of " + name, grads.get(name, []), param.grad.flatten().tolist())
        if set(grads) != {name for name, _ in model.named_parameters()}:
            failures.append("gradient keys: ctnn %s, PyTorch %s" % (sorted(grads), sorted(dict(model.named_parameters()))))

        back = read_safetensors(back_file)
        state = model.state_dict()
        if set(back) != set(state):
            failures.append("keys written back: %s, expected %s" % (sorted(back), sorted(state)))
        for name, tensor in state.items():
            if name in back and (back[name][0] != "F64" or back[name][1] != list(tensor.shape)
                                 or back[name][2] != tensor.flatten().tolist()):
                failures.append("tensor %s written back differs (dtype, shape or bits)" % name)

    for f in failures:
        print("FAIL:", f)
    print("%d comparisons failed" % len(failures) if failures else "ctnn matches PyTorch")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
