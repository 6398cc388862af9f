#!/usr/bin/env python3
"""PyTorch as the oracle of ctnn: a net trained in PyTorch runs in ctnn, and back.

For each case below (an nn.Sequential of nn.Linear and activations and the loss ctnn computes for
it, or a torch.nn.Module whose attributes are named as ctnn's dense and conv2d nodes: a residual
MLP, a net with two inputs, two outputs and a weighted objective, a LeNet-like CNN, a CNN
with a rectangular strided, padded, dilated kernel, overlapping max pooling, a 1×1 convolution
without bias and global average pooling, a CNN with batch normalisation, and recurrent nets:
nn.RNN, a two-layer nn.GRU with a head on every step, nn.LSTM from a given state), in float64 and
in float32:
  1. PyTorch trains the net for a few Adam steps and writes its state_dict as safetensors, with
     plain struct/json (Debian packages no `safetensors` module; nothing is installed with pip);
  2. the ctnn program (tests/io/pytorch_interop.cpp) loads it and prints its outputs (batch and
     one-sample passes), the mean loss, the parameter gradients and the gradient of every input
     for the batch and for the first sample alone, and H·u of the mean loss along a direction u
     it prints; all are compared with PyTorch's forward pass and autograd (H·u with its double
     backward);
  3. the file ctnn writes back must hold the same tensors bit for bit;
  4. ctnn trains the loaded net a few steps (momentum SGD or Adam) and writes it; PyTorch loads
     that file with load_state_dict(strict=True) and must reproduce ctnn's outputs, and its own
     torch.optim run of the same steps from the same start must reach the same parameters.
With batch normalisation, ctnn's gradient passes are PyTorch's train mode and its output, loss
and second-order passes its eval mode; the running statistics after one training pass (ctnn's
"next" values) and after the training steps are compared too. ctnn keeps no
num_batches_tracked: the files leave it out, and PyTorch loads ctnn's file with only those keys
missing.

ctnn's losses are means over the batch of a per-sample sum over outputs: squared_error is
½‖y − t‖², so it is 0.5·mse_loss(reduction="sum")/n; binary_cross_entropy is
binary_cross_entropy_with_logits(reduction="sum")/n; softmax_cross_entropy is cross_entropy with
its default mean (class-index or probability targets). A weighted objective is the same weighted
sum of those means.

usage: pytorch_interop.py <ctnn program>
Exit 77 (meson's "skipped") when PyTorch is not installed: the test is skipped, not faked.
Debian's python3-torch serves Debian's /usr/bin/python3; when the python3 running this script
(a pyenv or venv one found first on PATH) lacks torch, the script runs itself again with
$CTNN_TORCH_PYTHON (default /usr/bin/python3); set CTNN_TORCH_PYTHON= (empty) to use only the
interpreter it was started with, e.g. to check the skip.
"""
import copy
import json
import os
import struct
import subprocess
import sys
import tempfile


def import_torch_or_skip():
    try:
        import torch
        return torch
    except ImportError as error:
        reason = "%s: %s" % (sys.executable, error)
    other = os.environ.get("CTNN_TORCH_PYTHON", "/usr/bin/python3")
    if (other and "CTNN_TORCH_RERUN" not in os.environ and os.path.exists(other)
            and os.path.realpath(other) != os.path.realpath(sys.executable)):
        os.environ["CTNN_TORCH_RERUN"] = sys.executable
        print("%s; running again with %s" % (reason, other), flush=True)
        os.execv(other, [other] + sys.argv)
    print("SKIP: PyTorch is not installed for this python3 (Debian package python3-torch): %s;"
          " nothing was compared" % reason)
    sys.exit(77)


torch = import_torch_or_skip()
nn = torch.nn
F = torch.nn.functional

# |ctnn - PyTorch| <= tolerance * max(1, |PyTorch|). Values are O(1); the two sides sum in
# different orders and evaluate exp/tanh/erf with different code (xsimd vs. libm/Sleef).
TOLERANCE = {torch.float64: 1e-12, torch.float32: 1e-5}
# And, in float64, |ctnn - PyTorch| <= 1e-9 * |PyTorch| (a value PyTorch computes as exactly 0
# must be exactly 0): also the small gradients, which the first bound lets off with an absolute
# error of 1e-12. Float32 is held to the first bound only.
RELATIVE_TOLERANCE = {torch.float64: 1e-9}
# Trajectories of a few optimizer steps amplify those differences a little.
TRAINED_TOLERANCE = {torch.float64: 1e-11, torch.float32: 2e-5}


def ctnn_loss(kind, model, x, t):
    """The loss ctnn computes for a chain, from PyTorch's own loss functions; t as ctnn reads it."""
    n = x.shape[0]
    if kind == "squared_error":
        return 0.5 * F.mse_loss(model(x), t, reduction="sum") / n
    if kind == "cross_entropy_labels":
        return F.cross_entropy(model(x), t.argmax(dim=1))
    if kind == "cross_entropy_soft":  # the logits are the input of the final Softmax
        return F.cross_entropy(model[:-1](x), t)
    if kind == "bce_logits":
        return F.binary_cross_entropy_with_logits(model(x), t, reduction="sum") / n
    if kind == "bce_probabilities":  # ctnn fuses the final Sigmoid, computing from its input
        return F.binary_cross_entropy_with_logits(model[:-1](x), t, reduction="sum") / n
    raise ValueError(kind)


class Case:
    """A net as PyTorch computes it: make() builds the module (its state_dict keys are ctnn's
    tensor names); inputs are the input widths and targets the (kind, width) of each target, in
    ctnn's input and loss-node order; outputs(model, xs) is the list of the graph's outputs and
    loss(model, xs, ts) the mean objective ctnn computes. samples: batch size (37 spans two of
    ctnn's 32-sample workspace tiles); optimizer: how ctnn trains it afterwards; pretrain_lr: the
    learning rate of PyTorch's 20 Adam steps before the comparison."""

    def __init__(self, make, inputs, targets, outputs, loss, samples, optimizer, pretrain_lr=0.02):
        self.make, self.inputs, self.targets = make, inputs, targets
        self.outputs, self.loss, self.samples, self.optimizer = outputs, loss, samples, optimizer
        self.pretrain_lr = pretrain_lr


def sequential(layers, kind, samples, optimizer):
    """An nn.Sequential of (module class, args...) and the loss `kind` of ctnn_loss."""
    n_in, n_out = layers[0][1], [l for l in layers if l[0] is nn.Linear][-1][2]
    return Case(lambda: nn.Sequential(*[cls(*args) for cls, *args in layers]), [n_in], [(kind, n_out)],
                lambda m, xs: [m(xs[0])], lambda m, xs, ts: ctnn_loss(kind, m, xs[0], ts[0]),
                samples, optimizer)


class Residual(nn.Module):
    """ctnn's `residual` graph: h = relu(fc1(x)), r = h + relu(fc2(h)), y = head(r)."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.head = nn.Linear(20, 32), nn.Linear(32, 32), nn.Linear(32, 5)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        return self.head(h + F.relu(self.fc2(h)))


class TwoHeads(nn.Module):
    """ctnn's `two_heads` graph: t = silu(trunk(cat(a, b))), outputs cls(t) and tanh(reg(t))."""

    def __init__(self):
        super().__init__()
        self.trunk, self.cls, self.reg = nn.Linear(7 + 4, 16), nn.Linear(16, 3), nn.Linear(16, 2)

    def forward(self, a, b):
        t = F.silu(self.trunk(torch.cat([a, b], dim=1)))
        return self.cls(t), torch.tanh(self.reg(t))


def two_heads_loss(model, xs, ts):
    """objective CE(logits, soft targets) + ½·SE(v): ½ of the per-sample ½‖v − t‖², batch mean."""
    logits, v = model(*xs)
    return F.cross_entropy(logits, ts[0]) + 0.5 * (0.5 * F.mse_loss(v, ts[1], reduction="sum") / len(v))


class LeNet(nn.Module):
    """ctnn's `lenet` graph: x (1×12×12, one flat row per sample) → c1 (4 channels, 5×5, padding 2)
    → relu → 2×2 max pool → c2 (6 channels, 3×3) → tanh → 2×2 average pool → flatten → head (10)."""

    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 4, 5, padding=2), nn.Conv2d(4, 6, 3)
        self.head = nn.Linear(6 * 2 * 2, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.c1(x.reshape(-1, 1, 12, 12))), 2)
        return self.head(F.avg_pool2d(torch.tanh(self.c2(h)), 2).flatten(1))


class OddConv(nn.Module):
    """ctnn's `odd_conv` graph: x (3×9×8) → c1 (5 channels, kernel 3×2, stride 2, padding (1, 2),
    dilation (2, 1)) → sigmoid → 3×3 max pool, stride 2, padding 1 → c2 (4 channels, 1×1, no bias)
    → global average pool → head (2)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 5, (3, 2), stride=2, padding=(1, 2), dilation=(2, 1))
        self.c2 = nn.Conv2d(5, 4, 1, bias=False)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        h = F.max_pool2d(torch.sigmoid(self.c1(x.reshape(-1, 3, 9, 8))), 3, stride=2, padding=1)
        return self.head(self.c2(h).mean(dim=(2, 3)))


class BnCnn(nn.Module):
    """ctnn's `bn_cnn` graph: x (2×6×6) → c1 (4 channels, 3×3, padding 1, no bias) → bn1 → relu → 2×2 max
    pool → c2 (5 channels, 3×3, padding 1, no bias) → bn2 → tanh → global average pool → head (3).
    Batch norm's running statistics are buffers: trained in train mode, read in eval mode."""

    def __init__(self):
        super().__init__()
        self.c1, self.bn1 = nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)
        self.c2, self.bn2 = nn.Conv2d(4, 5, 3, padding=1, bias=False), nn.BatchNorm2d(5)
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.c1(x.reshape(-1, 2, 6, 6)))), 2)
        return self.head(torch.tanh(self.bn2(self.c2(h))).mean(dim=(2, 3)))


class Rnn(nn.Module):
    """ctnn's `rnn` graph: x (4 steps of 3) → nn.RNN(3, 5) → head (3) on the last step's hidden
    state; outputs the logits and the final state h_T."""

    def __init__(self):
        super().__init__()
        self.rnn, self.head = nn.RNN(3, 5, batch_first=True), nn.Linear(5, 3)

    def forward(self, x):
        seq, h = self.rnn(x.reshape(-1, 4, 3))
        return self.head(seq[:, -1]), h[0]


class Gru(nn.Module):
    """ctnn's `gru` graph: x (5 steps of 4) → nn.GRU(4, 6, num_layers=2) → head (2) on every step."""

    def __init__(self):
        super().__init__()
        self.gru, self.head = nn.GRU(4, 6, num_layers=2, batch_first=True), nn.Linear(6, 2)

    def forward(self, x):
        seq, _ = self.gru(x.reshape(-1, 5, 4))
        return self.head(seq).flatten(1)


class Lstm(nn.Module):
    """ctnn's `lstm` graph: x (6 steps of 3) and a starting state [h₀, c₀] (4 + 4) → nn.LSTM(3, 4)
    → head (3) on h_T; outputs the head and the final state [h_T, c_T]."""

    def __init__(self):
        super().__init__()
        self.lstm, self.head = nn.LSTM(3, 4, batch_first=True), nn.Linear(4, 3)

    def forward(self, x, start):
        h0, c0 = start[:, :4].unsqueeze(0).contiguous(), start[:, 4:].unsqueeze(0).contiguous()
        seq, (h, c) = self.lstm(x.reshape(-1, 6, 3), (h0, c0))
        return self.head(seq[:, -1]), torch.cat([h[0], c[0]], dim=1)


def half_squared_error(y, t):
    return 0.5 * F.mse_loss(y, t, reduction="sum") / len(y)


def residual_case(samples, optimizer):
    # Pretrained gently: at lr 0.02 this net learns its few random labels in 20 steps (mean loss
    # 0.006), and then softmax − one-hot is a difference of numbers close to 1: gradients of 1e-9
    # known to 1e-6 relatively, on both sides, which the relative bound cannot hold.
    return Case(Residual, [20], [("cross_entropy_labels", 5)], lambda m, xs: [m(xs[0])],
                lambda m, xs, ts: F.cross_entropy(m(xs[0]), ts[0].argmax(dim=1)), samples, optimizer,
                pretrain_lr=0.005)


CASES = {
    "tanh_relu": sequential([(nn.Linear, 4, 8), (nn.Tanh,), (nn.Linear, 8, 6), (nn.ReLU,), (nn.Linear, 6, 3)],
                            "cross_entropy_labels", 5, "sgd"),
    "sigmoid_gelu": sequential([(nn.Linear, 5, 7), (nn.Sigmoid,), (nn.Linear, 7, 6), (nn.GELU,),
                                (nn.Linear, 6, 2)], "squared_error", 37, "adam"),
    "silu_softplus": sequential([(nn.Linear, 3, 8), (nn.SiLU,), (nn.Linear, 8, 5), (nn.Softplus,),
                                 (nn.Linear, 5, 4)], "bce_logits", 37, "sgd"),
    "elu_leaky_mish_softmax": sequential([(nn.Linear, 6, 8), (nn.ELU, 0.5), (nn.Linear, 8, 8),
                                          (nn.LeakyReLU, 0.1), (nn.Linear, 8, 6), (nn.Mish,),
                                          (nn.Linear, 6, 4), (nn.Softmax, 1)],
                                         "cross_entropy_soft", 33, "adam"),
    "relu_linear_sigmoid": sequential([(nn.Linear, 4, 6), (nn.ReLU,), (nn.Linear, 6, 5), (nn.Linear, 5, 3),
                                       (nn.Sigmoid,)], "bce_probabilities", 8, "sgd"),
    "leaky_elu_tanh": sequential([(nn.Linear, 2, 6), (nn.LeakyReLU,), (nn.Linear, 6, 6), (nn.ELU,),
                                  (nn.Linear, 6, 3), (nn.Tanh,)], "squared_error", 37, "adam"),
    # Graphs: the objective of the graph (residual, two_heads), or given at the call (residual_at_call).
    "residual": residual_case(37, "adam"),
    "residual_at_call": residual_case(33, "sgd"),
    "two_heads": Case(TwoHeads, [7, 4], [("cross_entropy_soft", 3), ("squared_error", 2)],
                      lambda m, xs: list(m(*xs)), two_heads_loss, 37, "adam"),
    # Convolutional graphs: an image is an input row of C·H·W values (NCHW flattened per sample).
    "lenet": Case(LeNet, [1 * 12 * 12], [("cross_entropy_labels", 10)], lambda m, xs: [m(xs[0])],
                  lambda m, xs, ts: F.cross_entropy(m(xs[0]), ts[0].argmax(dim=1)), 37, "adam"),
    "odd_conv": Case(OddConv, [3 * 9 * 8], [("squared_error", 2)], lambda m, xs: [m(xs[0])],
                     lambda m, xs, ts: 0.5 * F.mse_loss(m(xs[0]), ts[0], reduction="sum") / len(xs[0]),
                     33, "sgd"),
    # Batch normalisation: 24 samples, one tile of ctnn's workspace, so the batch's statistics.
    "bn_cnn": Case(BnCnn, [2 * 6 * 6], [("cross_entropy_labels", 3)], lambda m, xs: [m(xs[0])],
                   lambda m, xs, ts: F.cross_entropy(m(xs[0]), ts[0].argmax(dim=1)), 24, "adam"),
    # Recurrent graphs: a sequence is an input row of T·In values (batch_first, flattened per
    # sample). 37 samples: ctnn runs them in chunks of 32 and 5.
    "rnn": Case(Rnn, [4 * 3], [("cross_entropy_labels", 3)], lambda m, xs: list(m(xs[0])),
                lambda m, xs, ts: F.cross_entropy(m(xs[0])[0], ts[0].argmax(dim=1)), 37, "adam"),
    "gru": Case(Gru, [5 * 4], [("squared_error", 5 * 2)], lambda m, xs: [m(xs[0])],
                lambda m, xs, ts: half_squared_error(m(xs[0]), ts[0]), 37, "sgd"),
    "lstm": Case(Lstm, [6 * 3, 8], [("squared_error", 3)], lambda m, xs: list(m(*xs)),
                 lambda m, xs, ts: half_squared_error(m(*xs)[0], ts[0]), 33, "adam"),
}
# ctnn trains the loaded net this many steps with this learning rate (momentum 0.9 for sgd).
CTNN_STEPS = {"sgd": (8, 0.05), "adam": (8, 0.01)}


def make_targets(kind, n, out, dtype):
    if kind == "cross_entropy_labels":
        return F.one_hot(torch.randint(0, out, (n,)), out).to(dtype)
    if kind == "cross_entropy_soft":
        return torch.softmax(2 * torch.randn(n, out, dtype=torch.float64), dim=1).to(dtype)
    if kind in ("bce_logits", "bce_probabilities"):  # labels 0/1 and some soft ones
        t = torch.randint(0, 2, (n, out)).to(torch.float64)
        t[::3] = torch.rand(len(t[::3]), out, dtype=torch.float64)
        return t.to(dtype)
    return (0.8 * torch.randn(n, out, dtype=torch.float64)).to(dtype)


def file_state(state):
    """What ctnn's files hold of a state_dict: every tensor but batch norm's num_batches_tracked
    (a step counter, which ctnn does not keep: its momentum is fixed)."""
    return {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}


def write_safetensors(path, state, dtype):
    """state: name -> tensor, written with `dtype` ("F32"/"F64"); data in sorted-name order, as
    the safetensors package writes it."""
    code = {"F32": "f", "F64": "d"}[dtype]
    header, blobs, offset = {}, [], 0
    state = file_state(state)
    for name in sorted(state):
        values = state[name].detach().flatten().tolist()
        raw = struct.pack("<%d%s" % (len(values), code), *values)
        header[name] = {"dtype": dtype, "shape": list(state[name].shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    """name -> (dtype, shape, list of floats), checking the layout ctnn promises."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    if (8 + n) % 8:
        raise ValueError("data does not start 8-byte aligned")
    body = data[8 + n:]
    out, covered = {}, 0
    for name, info in sorted(header.items(), key=lambda item: item[1].get("data_offsets", [-1])):
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        if begin != covered:
            raise ValueError("tensor %s starts at %d, expected %d" % (name, begin, covered))
        covered = end
        code = {"F32": "f", "F64": "d"}[info["dtype"]]
        count = (end - begin) // struct.calcsize(code)
        shape_count = 1
        for d in info["shape"]:
            shape_count *= d
        if count != shape_count:
            raise ValueError("tensor %s: %d values for shape %s" % (name, count, info["shape"]))
        out[name] = (info["dtype"], info["shape"],
                     list(struct.unpack("<%d%s" % (count, code), body[begin:end])))
    if covered != len(body):
        raise ValueError("%d data bytes belong to no tensor" % (len(body) - covered))
    return out


def state_from_file(path, dtype):
    return {name: torch.tensor(values, dtype=torch.float64).reshape(shape).to(dtype)
            for name, (_, shape, values) in read_safetensors(path).items()}


def torch_optimizer(kind, params):
    if kind == "sgd":
        return torch.optim.SGD(params, lr=CTNN_STEPS[kind][1], momentum=0.9)
    return torch.optim.Adam(params, lr=CTNN_STEPS[kind][1])


class Comparison:
    """Failures, and the largest errors per (scalar type, case group, quantity): the mixed one the
    tolerance bounds, |a - b| / max(1, |b|), and the relative one, |a - b| / |b|."""

    def __init__(self):
        self.failures, self.worst, self.worst_relative = [], {}, {}

    def check(self, case, dtype, category, what, mine, theirs, tolerance, relative=None):
        label = "%s %s" % (case, dtype)
        if len(mine) != len(theirs):
            self.failures.append("%s %s: %d values from ctnn, %d from PyTorch" % (label, what, len(mine), len(theirs)))
            return
        key = (dtype, case if case in GRAPHS else "chains", category)
        for k, (a, b) in enumerate(zip(mine, theirs)):
            error = abs(a - b) / max(1.0, abs(b))
            relative_error = 0.0 if a == b else abs(a - b) / abs(b) if b != 0 else float("inf")
            self.worst[key] = max(self.worst.get(key, 0.0), error)
            self.worst_relative[key] = max(self.worst_relative.get(key, 0.0), relative_error)
            if not error <= tolerance or (relative is not None and not relative_error <= relative):
                self.failures.append("%s %s[%d]: ctnn %.17g, PyTorch %.17g" % (label, what, k, a, b))


# The cases that are graphs rather than chains (reported one by one).
GRAPHS = ("residual", "residual_at_call", "two_heads", "lenet", "odd_conv", "bn_cnn", "rnn", "gru", "lstm")
# Lines "word k values": per output or input k.
INDEXED = ("y", "y1", "yg", "dx", "dx1", "trained_y")


def parse(stdout):
    rows, grads = {}, {}
    for line in stdout.splitlines():
        word, *rest = line.split()
        if word in ("grad", "grad1", "dir", "hvp", "next"):
            grads.setdefault(word, {})[rest[0]] = [float(v) for v in rest[1:]]
        elif word in INDEXED:
            rows.setdefault((word, int(rest[0])), []).extend(float(v) for v in rest[1:])
        else:
            rows.setdefault(word, []).extend(float(v) for v in rest)
    return rows, grads


def run_case(program, tmp, name, dtype, file_dtype, report):
    case = CASES[name]
    n = case.samples
    type_name = {torch.float64: "double", torch.float32: "float"}[dtype]
    tol, trained_tol = TOLERANCE[dtype], TRAINED_TOLERANCE[dtype]
    rel = RELATIVE_TOLERANCE.get(dtype)

    def check(category, what, mine, theirs, tolerance=tol, relative=rel):
        report.check(name, type_name, category, what, mine, theirs, tolerance, relative)

    # A net trained in PyTorch (float64, 20 Adam steps), then taken to `dtype`.
    torch.manual_seed(sum(map(ord, name)))
    master = case.make().double()
    xs64 = [torch.randn(n, width, dtype=torch.float64) for width in case.inputs]
    ts64 = [make_targets(kind, n, width, torch.float64) for kind, width in case.targets]
    pretrain = torch.optim.Adam(master.parameters(), lr=case.pretrain_lr)
    for _ in range(20):
        pretrain.zero_grad()
        case.loss(master, xs64, ts64).backward()
        pretrain.step()
    model = copy.deepcopy(master).to(dtype)
    start = copy.deepcopy(model)
    xs = [x.to(dtype).requires_grad_(True) for x in xs64]
    ts = [t.to(dtype) for t in ts64]

    # A net with batch norm (buffers) trains with the batch's statistics and evaluates with the
    # running ones: ctnn's gradient passes train, its output and loss passes evaluate.
    stateful = any(True for _ in start.buffers())
    evaluated = copy.deepcopy(start).eval()
    with torch.no_grad():
        ys_eval = case.outputs(evaluated, xs)
        loss_eval = case.loss(evaluated, xs, ts)
    ys = case.outputs(model, xs)
    loss = case.loss(model, xs, ts)
    loss.backward()
    model1 = copy.deepcopy(start)
    x1s = [x[:1].detach().clone().requires_grad_(True) for x in xs]
    loss1 = case.loss(model1, x1s, [t[:1] for t in ts])
    loss1.backward()

    files = {k: os.path.join(tmp, "%s-%s-%s.safetensors" % (name, dtype, k)) for k in ("model", "back", "trained")}
    batch_file = os.path.join(tmp, "%s-%s-batch.txt" % (name, dtype))
    # A float net read from an F64 file is rounded to nearest by ctnn, as .float() rounds.
    # (start: model before its forward passes above, which moved batch norm's running statistics)
    write_safetensors(files["model"], (master if file_dtype == "F64" else start).state_dict(), file_dtype)
    with open(batch_file, "w") as f:
        f.write("%d\n" % n)
        for rows in [x.detach().tolist() for x in xs] + [t.tolist() for t in ts]:
            for row in rows:
                f.write(" ".join(repr(v) for v in row) + "\n")
    steps, lr = CTNN_STEPS[case.optimizer]
    run = subprocess.run([program, name, type_name, files["model"], batch_file, files["back"], files["trained"],
                          case.optimizer, str(steps), repr(lr)], capture_output=True, text=True)
    if run.returncode != 0:
        report.failures.append("%s %s: ctnn program failed (%d): %s%s" % (name, type_name, run.returncode, run.stdout, run.stderr))
        return
    rows, grads = parse(run.stdout)
    flat = lambda tensor: tensor.detach().flatten().tolist()
    names = [k for k, _ in model.named_parameters()]
    for word, count in (("y", len(ys)), ("y1", len(ys)), ("yg", len(ys)), ("dx", len(xs)), ("dx1", len(xs)),
                        ("trained_y", len(ys))):
        got = sorted(key[1] for key in rows if isinstance(key, tuple) and key[0] == word)
        if got != list(range(count)):
            report.failures.append("%s %s: lines %s for %s, expected %s" % (name, type_name, word, got, list(range(count))))

    for k, (y, y_eval) in enumerate(zip(ys, ys_eval)):
        check("outputs", "output %d (forward_batch)" % k, rows.get(("y", k), []), flat(y_eval))
        check("outputs", "output %d (forward)" % k, rows.get(("y1", k), []), flat(y_eval))
        check("outputs", "output %d (loss_and_gradient_batch)" % k, rows.get(("yg", k), []), flat(y))
    check("loss", "loss", rows.get("loss", []), [loss.item()])
    check("loss", "loss (loss_batch)", rows.get("lossb", []), [loss_eval.item()])
    if stateful:
        # The running statistics after one training forward pass: ctnn's gradient entries of its
        # state blocks (their next values).
        stepped = copy.deepcopy(start)
        with torch.no_grad():
            case.loss(stepped, xs, ts)
        for k, b in file_state(dict(stepped.named_buffers())).items():
            check("running statistics", "next " + k, grads.get("next", {}).get(k, []), flat(b))
        if sorted(grads.get("next", {})) != sorted(file_state(dict(stepped.named_buffers()))):
            report.failures.append("%s %s: next keys %s" % (name, type_name, sorted(grads.get("next", {}))))
    for k, x in enumerate(xs):
        check("input gradient", "gradient of input %d" % k, rows.get(("dx", k), []), flat(x.grad))
    for k, p in model.named_parameters():
        check("parameter gradient", "gradient of " + k, grads.get("grad", {}).get(k, []), flat(p.grad))
    check("loss", "loss1 (one sample)", rows.get("loss1", []), [loss1.item()])
    for k, x in enumerate(x1s):
        check("input gradient", "gradient of input %d (one sample)" % k, rows.get(("dx1", k), []), flat(x.grad))
    for k, p in model1.named_parameters():
        check("parameter gradient", "gradient1 of " + k + " (one sample)", grads.get("grad1", {}).get(k, []), flat(p.grad))
    # H·u: PyTorch's double backward (what torch.autograd.functional.hvp runs) of the same loss,
    # along the direction u the program printed.
    # (ctnn's second-order passes evaluate: batch norm is then an affine map of fixed statistics.)
    model2 = copy.deepcopy(start).eval()
    params = [p for _, p in model2.named_parameters()]
    us = [torch.tensor(grads.get("dir", {}).get(k, [0.0] * p.numel()), dtype=dtype).reshape(p.shape)
          for k, p in model2.named_parameters()]
    first = torch.autograd.grad(case.loss(model2, [x.detach() for x in xs], ts), params, create_graph=True)
    hvps = torch.autograd.grad(sum((g * u).sum() for g, u in zip(first, us)), params)
    for (k, _), hv in zip(model2.named_parameters(), hvps):
        check("Hessian-vector product", "H·u of " + k, grads.get("hvp", {}).get(k, []), flat(hv))
    for word in ("grad", "grad1", "dir", "hvp"):
        if sorted(grads.get(word, {})) != sorted(names):
            report.failures.append("%s %s: %s keys %s, PyTorch %s" % (name, type_name, word, sorted(grads.get(word, {})), sorted(names)))

    # ctnn's writer: the loaded tensors, bit for bit, in the program's scalar type.
    back = read_safetensors(files["back"])
    want = "F64" if dtype == torch.float64 else "F32"
    file_names = sorted(file_state(start.state_dict()))
    if sorted(back) != file_names:
        report.failures.append("%s %s: keys written back %s, expected %s" % (name, type_name, sorted(back), file_names))
    for k, p in start.state_dict().items():
        if k in back and (back[k][0] != want or back[k][1] != list(p.shape) or back[k][2] != flat(p)):
            report.failures.append("%s %s: tensor %s written back differs (dtype, shape or bits)" % (name, type_name, k))

    # And back: the net ctnn trained runs in PyTorch, which trains the same way from the same start.
    # (The trained values are held to the mixed bound only, like the trajectories below.)
    loaded = case.make().to(dtype)
    if stateful:
        # strict, but for the step counters ctnn does not keep
        result = loaded.load_state_dict(state_from_file(files["trained"], dtype), strict=False)
        if result.unexpected_keys or any(not k.endswith("num_batches_tracked") for k in result.missing_keys):
            report.failures.append("%s %s: ctnn's file in PyTorch: %s" % (name, type_name, result))
        loaded.eval()
    else:
        loaded.load_state_dict(state_from_file(files["trained"], dtype), strict=True)
    xd = [x.detach() for x in xs]
    with torch.no_grad():
        for k, y in enumerate(case.outputs(loaded, xd)):
            check("ctnn-trained outputs", "trained output %d (ctnn's file in PyTorch)" % k,
                  rows.get(("trained_y", k), []), flat(y), relative=None)
        check("ctnn-trained outputs", "trained loss (ctnn's file in PyTorch)", rows.get("trained_loss", []),
              [case.loss(loaded, xd, ts).item()], relative=None)
    ours = copy.deepcopy(start)
    opt = torch_optimizer(case.optimizer, ours.parameters())
    for _ in range(steps):
        opt.zero_grad()
        case.loss(ours, xd, ts).backward()
        opt.step()
    mine = loaded.state_dict()
    for k, p in file_state(ours.state_dict()).items():
        check("trained parameters", "trained %s (%d %s steps)" % (k, steps, case.optimizer), flat(mine[k]), flat(p),
              tolerance=trained_tol, relative=None)
    moved = max((a - b).abs().max().item() for a, b in zip(ours.parameters(), start.parameters()))
    if not moved > 100 * trained_tol:
        report.failures.append("%s %s: training moved the parameters by only %g" % (name, type_name, moved))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    program = os.path.abspath(sys.argv[1])
    torch.set_num_threads(1)
    print("PyTorch %s (python %s)" % (torch.__version__, sys.executable))
    report = Comparison()
    with tempfile.TemporaryDirectory() as tmp:
        for name in CASES:
            run_case(program, tmp, name, torch.float64, "F64", report)
            # float from an F32 file, and once from an F64 file (ctnn rounds to nearest)
            run_case(program, tmp, name, torch.float32, "F64" if name == "tanh_relu" else "F32", report)

    print("largest |ctnn - PyTorch| / max(1, |PyTorch|), and / |PyTorch|:")
    for (dtype, group, what), error in sorted(report.worst.items()):
        print("  %-6s %-16s %-22s %.3g  %.3g" % (dtype, group, what, error, report.worst_relative[(dtype, group, what)]))
    for f in report.failures[:50]:
        print("FAIL:", f)
    print("%d comparisons failed" % len(report.failures) if report.failures else "ctnn matches PyTorch")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
