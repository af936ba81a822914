"""CenterFace adapter (OpenVINO or ONNX Runtime): the main detector, an anchor-free heatmap model."""
from __future__ import annotations

import numpy as np

from ..types import Detections, Region
from .runtime import model_runner, resize_rgb
from .weights import CENTERFACE, load_verified


def _dynamic_model(data: bytes) -> bytes:
    """The shipped graph has a fixed 10x3x32x32 input; make batch and size free.

    Initialisers are also dropped from the graph inputs so ONNX Runtime may fold them.
    """
    import onnx

    model = onnx.load_from_string(data)
    g = model.graph
    init_names = {i.name for i in g.initializer}
    keep = [i for i in g.input if i.name not in init_names]
    del g.input[:]
    g.input.extend(keep)
    for value in [*g.input, *g.output]:
        dims = value.type.tensor_type.shape.dim
        for idx, name in ((0, "B"), (2, "H"), (3, "W")):
            dims[idx].ClearField("dim_value")
            dims[idx].dim_param = f"{name}_{value.name}" if idx else "B"
    return model.SerializeToString()


class CenterFace:
    name = CENTERFACE.name
    weights = CENTERFACE

    def __init__(self) -> None:
        self.run, self.provider = model_runner(load_verified(CENTERFACE), _dynamic_model)

    @staticmethod
    def _input_shape(rw: int, rh: int) -> tuple[int, int, int, int]:
        # the network wants sides in multiples of 32: pad with black rather than resample again
        # (a 1080-line frame runs as 1088 lines, its pixels untouched)
        return (1, -(-rh // 32) * 32, -(-rw // 32) * 32, 3)

    def expect(self, width: int, height: int) -> None:
        """Many pictures of this size will come (video frames): prepare the runtime for it."""
        if hasattr(self.run, "expect"):
            self.run.expect(self._input_shape(width, height))

    def detect(self, rgb: np.ndarray, scale: float = 1.0, threshold: float = 0.3) -> Detections:
        """Detect faces in an RGB uint8 image resized by ``scale``; boxes in input coordinates."""
        h, w = rgb.shape[:2]
        rw, rh = max(1, round(w * scale)), max(1, round(h * scale))
        img = resize_rgb(rgb, rw, rh)
        blob = np.zeros(self._input_shape(rw, rh), dtype=np.uint8)
        blob[0, :rh, :rw] = img
        heat, size, offset, _ = self.run(blob)
        return Detections(r.scaled(w / rw, h / rh) for r in _peaks(heat[0, 0], size[0], offset[0], threshold, self.name))

    def detect_batch(self, blob: np.ndarray, threshold: float = 0.3) -> list[Detections]:
        """Faces in each picture of a batch (N x H x W x 3 uint8, sides multiples of 32); boxes
        in the batch's pixels."""
        heat, size, offset, _ = self.run(blob)
        return [Detections(_peaks(heat[k, 0], size[k], offset[k], threshold, self.name)) for k in range(len(blob))]


def _peaks(hm: np.ndarray, size: np.ndarray, offset: np.ndarray, threshold: float, name: str) -> list[Region]:
    """CenterNet-style decoding of one heatmap: one box per peak (a 3x3 local maximum above the
    threshold; only the few cells above it are compared with their neighbours), in the model
    input's pixels."""
    ys, xs = np.nonzero(hm > threshold)
    padded = np.pad(hm, 1, constant_values=-1.0)
    neighbours = np.max([padded[ys + dy, xs + dx] for dy in range(3) for dx in range(3)], axis=0) if len(ys) else ys
    keep = hm[ys, xs] >= neighbours
    ys, xs = ys[keep], xs[keep]
    score = hm[ys, xs]
    bh = np.exp(size[0, ys, xs]) * 4
    bw = np.exp(size[1, ys, xs]) * 4
    cy = (ys + offset[0, ys, xs] + 0.5) * 4
    cx = (xs + offset[1, ys, xs] + 0.5) * 4
    return [Region(float(cx[i] - bw[i] / 2), float(cy[i] - bh[i] / 2), float(cx[i] + bw[i] / 2), float(cy[i] + bh[i] / 2), float(score[i]), name) for i in range(len(ys))]
