#!/usr/bin/env python3
"""Generates reference_values.h and mlp_resnet_torch.safetensors for tests/nn with PyTorch.

Run with Debian's python3-torch:  /usr/bin/python3 tests/nn/reference/make_reference.py
Every module's forward output and the gradients of sum(out * G) (a fixed upstream gradient G)
with respect to the input and the parameters are printed as C++ literals. The safetensors file
is written by torch_models.write_safetensors (8-byte little-endian header length, JSON header, raw little-endian data),
because Debian ships no `safetensors` package; the format is simple enough to write here.
"""
import os

import torch

from torch_models import mlp_resnet, write_safetensors

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)
HERE = os.path.dirname(os.path.abspath(__file__))
out = []


def lit(v):
    s = "%.9g" % v
    if "." not in s and "e" not in s:
        s += ".0"
    return s + "f"


def emit(name, t):
    t = t.detach().to(torch.float32).contiguous()
    vals = ", ".join(lit(x) for x in t.flatten().tolist())
    shape = ", ".join(str(d) for d in t.shape)
    out.append("inline const std::vector<float> %s = {%s};" % (name, vals))
    out.append("inline const needle::Shape %s_shape = {%s};" % (name, shape))


def emit_int(name, t):
    vals = ", ".join(str(int(x)) for x in t.flatten().tolist())
    out.append("inline const std::vector<int64_t> %s = {%s};" % (name, vals))


def emit_scalar(name, v):
    out.append("inline constexpr float %s = %s;" % (name, lit(v)))


def rnd(*shape):
    return torch.round(torch.randn(*shape) * 1000) / 1000  # short literals


def grads_of(name, fn, x, params):
    """Emits fn(x), and d sum(fn(x) * G)/d{x, params}."""
    x = x.clone().requires_grad_(True)
    y = fn(x)
    g = rnd(*y.shape)
    (y * g).sum().backward()
    emit(name + "_x", x)
    emit(name + "_y", y)
    emit(name + "_g", g)
    emit(name + "_dx", x.grad)
    for pname, p in params:
        emit(name + "_" + pname, p)
        emit(name + "_d" + pname, p.grad)


# --- Linear ---------------------------------------------------------------------------------
lin = torch.nn.Linear(3, 4)
with torch.no_grad():
    lin.weight.copy_(rnd(4, 3))
    lin.bias.copy_(rnd(4))
grads_of("linear", lin, rnd(2, 3), [("weight", lin.weight), ("bias", lin.bias)])
lin.zero_grad()
grads_of("linear3d", lin, rnd(2, 2, 3), [])

# --- activations ----------------------------------------------------------------------------
xa = rnd(2, 5)
grads_of("relu", torch.relu, xa, [])
grads_of("tanh", torch.tanh, xa, [])
grads_of("sigmoid", torch.sigmoid, xa, [])

# --- Residual(Linear) -----------------------------------------------------------------------
res_lin = torch.nn.Linear(3, 3)
with torch.no_grad():
    res_lin.weight.copy_(rnd(3, 3))
    res_lin.bias.copy_(rnd(3))
grads_of("residual", lambda x: res_lin(x) + x, rnd(2, 3),
         [("weight", res_lin.weight), ("bias", res_lin.bias)])

# --- BatchNorm1d: training step, running stats, then eval ---------------------------------
bn = torch.nn.BatchNorm1d(3, eps=1e-5, momentum=0.1)
with torch.no_grad():
    bn.weight.copy_(rnd(3))
    bn.bias.copy_(rnd(3))
bn.train()
grads_of("bn", bn, rnd(4, 3) * 2 + 1, [("weight", bn.weight), ("bias", bn.bias)])
emit("bn_running_mean", bn.running_mean)
emit("bn_running_var", bn.running_var)
bn.eval()
xe = rnd(2, 3)
emit("bn_eval_x", xe)
emit("bn_eval_y", bn(xe))

# --- LayerNorm1d ----------------------------------------------------------------------------
ln = torch.nn.LayerNorm(4, eps=1e-5)
with torch.no_grad():
    ln.weight.copy_(rnd(4))
    ln.bias.copy_(rnd(4))
grads_of("ln", ln, rnd(3, 4) * 3, [("weight", ln.weight), ("bias", ln.bias)])

# --- losses ---------------------------------------------------------------------------------
logits = (rnd(3, 5) * 3).requires_grad_(True)
labels = torch.tensor([4, 0, 2])
loss = torch.nn.functional.cross_entropy(logits, labels)
loss.backward()
emit("ce_logits", logits)
emit_int("ce_labels", labels)
emit_scalar("ce_loss", loss.item())
emit("ce_dlogits", logits.grad)

a = rnd(2, 3).requires_grad_(True)
b = rnd(2, 3)
for name, fn in [("mse", torch.nn.functional.mse_loss), ("l1", torch.nn.functional.l1_loss)]:
    a.grad = None
    loss = fn(a, b)
    loss.backward()
    emit(name + "_a", a)
    emit(name + "_b", b)
    emit_scalar(name + "_loss", loss.item())
    emit(name + "_da", a.grad)

z = (rnd(2, 3) * 20).requires_grad_(True)  # large logits: the stable form matters
t = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.5, 1.0]])
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, t)
loss.backward()
emit("bce_z", z)
emit("bce_t", t)
emit_scalar("bce_loss", loss.item())
emit("bce_dz", z.grad)


# --- MLPResNet written by PyTorch as safetensors --------------------------------------------
model = mlp_resnet(6, 8, 2, 3, 0.0)
with torch.no_grad():
    for name, buf in model.named_buffers():
        if name.endswith("running_mean"):
            buf.copy_(rnd(*buf.shape) * 0.5)
        elif name.endswith("running_var"):
            buf.copy_(torch.rand(*buf.shape) + 0.5)
        elif name.endswith("num_batches_tracked"):
            buf.fill_(7)
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            p.copy_(rnd(*p.shape) * 0.1)
        elif p.dim() == 1:  # BatchNorm weight
            p.copy_(1 + rnd(*p.shape) * 0.1)
xm = rnd(5, 6)
model.eval()
emit("mlp_x", xm)
emit("mlp_eval_y", model(xm))
# The file holds the state the eval output was computed with (a training forward below moves
# the running statistics).
saved_state = {k: v.clone() for k, v in model.state_dict().items()}
model.train()  # drop 0: batch statistics only, deterministic
emit("mlp_train_y", model(xm))

write_safetensors(os.path.join(HERE, "mlp_resnet_torch.safetensors"), saved_state,
                  {"format": "pt", "producer": "tests/nn/reference/make_reference.py"})

# --- sequence-model activations (appended last, so the values above keep their random draws) --
xs = rnd(3, 6) * 3  # rows far from uniform
grads_of("gelu", torch.nn.GELU(), xs, [])
grads_of("gelu_tanh", torch.nn.GELU(approximate="tanh"), xs, [])
grads_of("silu", torch.nn.SiLU(), xs, [])
grads_of("softmax", torch.nn.Softmax(dim=-1), xs, [])
grads_of("log_softmax", torch.nn.LogSoftmax(dim=-1), xs, [])
xs3 = rnd(2, 4, 3) * 3
grads_of("softmax_dim1", torch.nn.Softmax(dim=1), xs3, [])
grads_of("log_softmax_dim1", torch.nn.LogSoftmax(dim=1), xs3, [])

with open(os.path.join(HERE, "reference_values.h"), "w") as f:
    f.write("// Generated by tests/nn/reference/make_reference.py with PyTorch %s; do not edit.\n"
            % torch.__version__)
    f.write("// Forward outputs and gradients of sum(y * g) for every nn module test.\n")
    f.write("#pragma once\n\n#include <cstdint>\n#include <vector>\n\n#include \"needle/shape.h\"\n\n")
    f.write("// clang-format off\nnamespace nn_ref {\n\n")
    f.write("\n".join(out))
    f.write("\n\n}  // namespace nn_ref\n// clang-format on\n")
print("wrote", len(out), "definitions")
