"""The detector runtimes: OpenVINO (CPU default) and ONNX Runtime find the same faces, and
loading the models imports nothing that could phone home."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import FACE_BOX, iou
from unseen.detect.centerface import CenterFace


def _faces(runtime: str, image: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[tuple[float, float, float, float, float]]]:
    monkeypatch.setenv("UNSEEN_RUNTIME", runtime)
    model = CenterFace()
    return model.provider, [(r.x0, r.y0, r.x1, r.y1, r.score) for r in model.detect(image, 1.0, 0.3)]


def test_runtimes_agree_on_a_real_face(astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    ov_name, ov = _faces("openvino", astronaut, monkeypatch)
    ort_name, ort = _faces("onnxruntime", astronaut, monkeypatch)
    assert ov_name.startswith("OpenVINO") and ort_name.startswith("ONNX Runtime")
    assert len(ov) == len(ort) == 1
    assert iou(ov[0][:4], FACE_BOX) > 0.5
    assert iou(ov[0][:4], ort[0][:4]) > 0.9
    assert abs(ov[0][4] - ort[0][4]) < 0.05  # bfloat16 on CPUs that have it: close, not equal


def test_odd_sizes_are_padded_not_stretched(astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """A picture whose sides are not multiples of 32 runs padded: boxes stay where the face is."""
    monkeypatch.setenv("UNSEEN_RUNTIME", "openvino")
    model = CenterFace()
    odd = np.ascontiguousarray(astronaut[:471, :437])
    (box,) = [(r.x0, r.y0, r.x1, r.y1) for r in model.detect(odd, 1.0, 0.3)]
    (full,) = [(r.x0, r.y0, r.x1, r.y1) for r in model.detect(astronaut, 1.0, 0.3)]
    assert iou(box, full) > 0.9


def test_loading_the_detectors_imports_no_telemetry() -> None:
    """OpenVINO's package ships a usage-telemetry client with its model converter; unseen keeps
    that module from loading at all."""
    code = (
        "import sys\n"
        "from unseen.detect import face_finder, face_checker\n"
        "import numpy as np\n"
        "face_finder().find(np.zeros((64, 64, 3), np.uint8)); face_checker()\n"
        "bad = sorted(m for m, mod in sys.modules.items() if mod is not None and ('telemetry' in m or m.startswith('openvino.tools')))\n"
        "print(face_finder().model.provider); print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "UNSEEN_RUNTIME"}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith("OpenVINO")
