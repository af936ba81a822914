"""Runtime helpers shared by the model adapters: providers, threads, resizing."""
from __future__ import annotations

import os

import numpy as np
from PIL import Image


def onnx_providers() -> list[str]:
    """GPU providers first when present at run time, the CPU always last."""
    import onnxruntime as ort

    preferred = ["CUDAExecutionProvider", "CoreMLExecutionProvider", "DmlExecutionProvider"]
    available = ort.get_available_providers()
    chosen = [p for p in preferred if p in available]
    return chosen + ["CPUExecutionProvider"]


def cpu_count() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def cpu_threads() -> int:
    """Threads per model run; batch workers set UNSEEN_THREADS=1 and run files side by side,
    which uses small CPUs better than intra-op threads on these small convolutions."""
    env = os.environ.get("UNSEEN_THREADS")
    return max(1, int(env)) if env and env.isdigit() else cpu_count()


def resize_rgb(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    # reducing_gap: large reductions first shrink by a whole factor (box filter), then resample;
    # several times faster on video frames and indistinguishable at a gap of 3
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb)).resize((width, height), Image.BILINEAR, reducing_gap=3.0))
