"""CenterFace adapter (ONNX Runtime): the main detector, an anchor-free heatmap model."""
from __future__ import annotations

import numpy as np

from ..model import Detections, Region
from .runtime import cpu_threads, onnx_providers, resize_rgb
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
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = cpu_threads()
        self.session = ort.InferenceSession(
            _dynamic_model(load_verified(CENTERFACE)), sess_options=opts, providers=onnx_providers()
        )
        self.provider = self.session.get_providers()[0]

    def detect(self, rgb: np.ndarray, scale: float = 1.0, threshold: float = 0.3) -> Detections:
        """Detect faces in an RGB uint8 image resized by ``scale``; boxes in input coordinates."""
        h, w = rgb.shape[:2]
        nw = max(32, int(round(w * scale / 32)) * 32)
        nh = max(32, int(round(h * scale / 32)) * 32)
        img = resize_rgb(rgb, nw, nh)
        blob = np.ascontiguousarray(img.transpose(2, 0, 1)[None].astype(np.float32))
        heat, size, offset, _ = self.session.run(None, {self.session.get_inputs()[0].name: blob})
        hm = heat[0, 0]
        # CenterNet-style decoding: one box per heatmap peak (3x3 local maximum)
        padded = np.pad(hm, 1, constant_values=-1.0)
        peak = np.max(
            np.stack([padded[dy : dy + hm.shape[0], dx : dx + hm.shape[1]] for dy in range(3) for dx in range(3)]), axis=0
        )
        ys, xs = np.nonzero((hm > threshold) & (hm >= peak))
        if len(ys) == 0:
            return Detections()
        score = heat[0, 0, ys, xs]
        bh = np.exp(size[0, 0, ys, xs]) * 4
        bw = np.exp(size[0, 1, ys, xs]) * 4
        cy = (ys + offset[0, 0, ys, xs] + 0.5) * 4
        cx = (xs + offset[0, 1, ys, xs] + 0.5) * 4
        sx, sy = w / nw, h / nh
        return Detections(
            Region(
                float((cx[i] - bw[i] / 2) * sx),
                float((cy[i] - bh[i] / 2) * sy),
                float((cx[i] + bw[i] / 2) * sx),
                float((cy[i] + bh[i] / 2) * sy),
                float(score[i]),
                self.name,
            )
            for i in range(len(ys))
        )
