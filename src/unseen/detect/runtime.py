"""Runtime helpers shared by the model adapters: providers, threads, resizing."""
from __future__ import annotations

import os
import sys
from typing import Callable

import numpy as np
from PIL import Image

# An image model as a function: a uint8 RGB batch (N, H, W, 3) in, the model's outputs out.
Runner = Callable[[np.ndarray], list[np.ndarray]]
GPU_PROVIDERS = ["CUDAExecutionProvider", "CoreMLExecutionProvider", "DmlExecutionProvider"]


def onnx_providers() -> list[str]:
    """GPU providers first when present at run time, the CPU always last."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    chosen = [p for p in GPU_PROVIDERS if p in available]
    return chosen + ["CPUExecutionProvider"]


def cpu_count() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def cpu_threads() -> int:
    """Threads per model run; batch workers set UNSEEN_THREADS=1 and run files side by side,
    which uses small CPUs better than intra-op threads on these small convolutions."""
    env = os.environ.get("UNSEEN_THREADS")
    return max(1, int(env)) if env and env.isdigit() else cpu_count()


def runtime_choice() -> str:
    """'openvino' or 'onnxruntime': UNSEEN_RUNTIME when set; otherwise ONNX Runtime where its
    GPU build is installed, OpenVINO on the CPU (about 2x ONNX Runtime's speed on CenterFace,
    2.7x where the CPU computes in bfloat16), ONNX Runtime where OpenVINO is not installed."""
    asked = os.environ.get("UNSEEN_RUNTIME", "").strip().lower()
    if asked in ("openvino", "onnxruntime"):
        return asked
    from importlib.metadata import PackageNotFoundError, distribution

    for gpu_build in ("onnxruntime-gpu", "onnxruntime-directml"):
        try:
            distribution(gpu_build)
        except PackageNotFoundError:
            continue
        if onnx_providers()[0] != "CPUExecutionProvider":
            return "onnxruntime"
    try:
        _import_openvino()
    except ImportError:
        return "onnxruntime"
    return "openvino"


def _import_openvino():  # type: ignore[no-untyped-def]
    # openvino's package __init__ also imports its model converter, which brings in a usage
    # telemetry client; unseen never converts models and sends nothing, so that module is
    # kept from loading at all (openvino treats a failed import of it as "not installed").
    sys.modules.setdefault("openvino.tools.ovc", None)  # type: ignore[arg-type]
    import openvino

    return openvino


def openvino_runner(onnx_model: bytes) -> tuple[Runner, str]:
    """An OpenVINO CPU runner for an ONNX image model (NCHW, 3 channels) with a free input size
    (each new size is compiled on its first call and cached), and a description of its
    precision. The uint8 to float conversion and the NHWC to NCHW transpose run inside the
    compiled graph."""
    ov = _import_openvino()
    from openvino.preprocess import PrePostProcessor

    core = ov.Core()
    model = core.read_model(model=onnx_model)
    model.reshape({model.inputs[0]: ov.PartialShape([-1, 3, -1, -1])})
    ppp = PrePostProcessor(model)
    ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
    ppp.input().model().set_layout(ov.Layout("NCHW"))
    ppp.input().preprocess().convert_element_type(ov.Type.f32)
    compiled = core.compile_model(ppp.build(), "CPU", {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": cpu_threads()})
    request = compiled.create_infer_request()
    precision = str(compiled.get_property("INFERENCE_PRECISION_HINT")).lower()

    def run(batch: np.ndarray) -> list[np.ndarray]:
        request.infer({0: batch})
        # copies: the request reuses its output buffers on the next call
        return [np.array(request.get_output_tensor(i).data) for i in range(len(compiled.outputs))]

    return run, f"OpenVINO CPU ({'bfloat16' if 'bf' in precision else 'float32'})"


def onnx_runner(onnx_model: bytes) -> tuple[Runner, str]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = cpu_threads()
    session = ort.InferenceSession(onnx_model, sess_options=opts, providers=onnx_providers())
    name = session.get_inputs()[0].name

    def run(batch: np.ndarray) -> list[np.ndarray]:
        blob = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)
        return list(session.run(None, {name: blob}))

    return run, f"ONNX Runtime {session.get_providers()[0]}"


def model_runner(onnx_model: bytes, for_onnxruntime: Callable[[bytes], bytes] = lambda b: b) -> tuple[Runner, str]:
    """The model on the chosen runtime; ``for_onnxruntime`` rewrites the graph where ONNX
    Runtime needs it (OpenVINO takes the shipped file as it is)."""
    if runtime_choice() == "openvino":
        return openvino_runner(onnx_model)
    return onnx_runner(for_onnxruntime(onnx_model))


def resize_rgb(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    # reducing_gap: large reductions first shrink by a whole factor (box filter), then resample;
    # several times faster on video frames and indistinguishable at a gap of 3
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).resize((width, height), Image.BILINEAR, reducing_gap=3.0))
