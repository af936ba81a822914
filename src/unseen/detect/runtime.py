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
    GPU build is installed, OpenVINO on the CPU (CenterFace at 1920x1088: 1.35x ONNX Runtime's
    speed in float32, 2.7x where the CPU computes in bfloat16), ONNX Runtime where OpenVINO is
    not installed."""
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


STATIC_AFTER = 3  # calls at one input size before it gets a graph compiled for that size alone
STATIC_SIZES = 6  # at most this many such graphs are kept


class OpenVinoRunner:
    """An ONNX image model (NCHW, 3 channels) on OpenVINO's CPU plugin, called with uint8 NHWC
    batches of any size: the conversion to float and the transpose run inside the compiled
    graph. A size that keeps coming back (video frames, a camera's photos), or one announced
    with ``expect``, gets a graph compiled for that size alone, which runs 6-25% faster on
    CenterFace than the graph that takes every size (compiled only when first needed)."""

    def __init__(self, onnx_model: bytes) -> None:
        self._ov = _import_openvino()
        self._core = self._ov.Core()
        self._model = self._core.read_model(model=onnx_model)  # a model that does not load fails here
        self._config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": cpu_threads()}
        self._requests: dict[tuple[int, ...] | None, tuple[object, int]] = {}
        self._calls: dict[tuple[int, ...], int] = {}
        precision = str(self._core.get_property("CPU", "INFERENCE_PRECISION_HINT")).lower()
        self.description = f"OpenVINO CPU ({'bfloat16' if 'bf' in precision else 'float32'})"

    def _compile(self, key: tuple[int, ...] | None) -> tuple[object, int]:
        from openvino.preprocess import PrePostProcessor

        ov = self._ov
        model = self._model.clone()
        shape = [-1, 3, -1, -1] if key is None else [key[0], 3, key[1], key[2]]
        model.reshape({model.inputs[0]: ov.PartialShape(shape)})
        ppp = PrePostProcessor(model)
        ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
        ppp.input().model().set_layout(ov.Layout("NCHW"))
        ppp.input().preprocess().convert_element_type(ov.Type.f32)
        compiled = self._core.compile_model(ppp.build(), "CPU", self._config)
        self._requests[key] = (compiled.create_infer_request(), len(compiled.outputs))
        return self._requests[key]

    def expect(self, shape: tuple[int, ...]) -> None:
        """Compile for a batch shape (N, H, W, 3) that many calls will have."""
        if shape not in self._requests and len(self._requests) <= STATIC_SIZES:
            self._compile(shape)

    def __call__(self, batch: np.ndarray) -> list[np.ndarray]:
        key = batch.shape
        found = self._requests.get(key)
        if found is None:
            self._calls[key] = self._calls.get(key, 0) + 1
            if self._calls[key] >= STATIC_AFTER and len(self._requests) <= STATIC_SIZES:
                found = self._compile(key)
            else:
                found = self._requests.get(None) or self._compile(None)
        request, outputs = found
        request.infer({0: batch})  # type: ignore[attr-defined]
        # copies: the request reuses its output buffers on the next call
        return [np.array(request.get_output_tensor(i).data) for i in range(outputs)]  # type: ignore[attr-defined]


def openvino_runner(onnx_model: bytes) -> tuple[Runner, str]:
    runner = OpenVinoRunner(onnx_model)
    return runner, runner.description


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
