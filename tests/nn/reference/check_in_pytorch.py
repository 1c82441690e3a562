#!/usr/bin/env python3
"""The libneedle -> PyTorch direction of checkpoints, a ctest entry (tests/CMakeLists.txt).

    check_in_pytorch.py SAVE_FOR_PYTORCH WORKDIR

runs the C++ program save_for_pytorch, which trains an MLPResNet(6, 8, 2, 3, BatchNorm1d,
drop 0) and a small Conv2d/BatchNorm2d network one step each and saves them with needle::save,
with an input and needle's outputs on it in eval and training mode. Each checkpoint is loaded
into its PyTorch twin (torch_models.py) with load_state_dict(strict=True), which fails on any
missing or unexpected key or wrong shape; the twin's outputs on the same input must then match
needle's. Exits with 77 (ctest's SKIP_RETURN_CODE) when PyTorch cannot be imported: Debian's
python3-torch is not one of the CI packages.
"""
import os
import shutil
import subprocess
import sys

SKIP = 77
# Where Debian's python3-torch installs, when the python3 found first (pyenv, a venv) lacks it.
DEBIAN_PYTHON = "/usr/bin/python3"
# (checkpoint name, its twin); outputs must agree to TOLERANCE in eval and in training mode.
MODELS = (("mlp_resnet", lambda tm: tm.mlp_resnet(6, 8, 2, 3, 0.0)),
          ("conv_net", lambda tm: tm.conv_net()))
TOLERANCE = 1e-5


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    try:
        import torch
    except ImportError as e:
        # Run again under Debian's interpreter, which skips here in turn if it lacks torch too.
        if os.access(DEBIAN_PYTHON, os.X_OK) and \
                os.path.realpath(sys.executable) != os.path.realpath(DEBIAN_PYTHON):
            os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
        print(f"SKIP: PyTorch is not importable by {sys.executable} or {DEBIAN_PYTHON} ({e}); "
              "apt-get install python3-torch to run this check")
        return SKIP
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch_models

    program, workdir = sys.argv[1], sys.argv[2]
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    subprocess.run([program, workdir], check=True, timeout=120)
    print(f"PyTorch {torch.__version__}")
    failed = False
    for name, make_twin in MODELS:
        state, meta = torch_models.read_safetensors(os.path.join(workdir, name + ".safetensors"))
        io, _ = torch_models.read_safetensors(os.path.join(workdir, name + "_io.safetensors"))
        model = make_twin(torch_models)
        model.load_state_dict(state, strict=True)
        with torch.no_grad():
            model.eval()
            eval_diff = (model(io["x"]) - io["y_eval"]).abs().max().item()
            model.train()
            train_diff = (model(io["x"]) - io["y_train"]).abs().max().item()
        ok = max(eval_diff, train_diff) <= TOLERANCE
        failed |= not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(state)} tensors, metadata {meta}; "
              f"max |torch - needle| eval {eval_diff:.2e}, train {train_diff:.2e} "
              f"(tolerance {TOLERANCE})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
