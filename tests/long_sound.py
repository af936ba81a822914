"""Write a long 44.1 kHz stereo FLAC for memory measurements (README: sound memory):
``python tests/long_sound.py hour.flac 3600``. A gliding tone with a little noise, so the
disguise has no silent frame to skip; written one second at a time."""
from __future__ import annotations

import sys

import av
import numpy as np

RATE = 44100


def write(path: str, seconds: int) -> None:
    out = av.open(path, "w", format="flac")
    st = out.add_stream("flac", rate=RATE, layout="stereo")
    rng = np.random.default_rng(0)
    for k in range(seconds):
        t = (np.arange(RATE) + k * RATE) / RATE
        tone = 0.2 * np.sin(2 * np.pi * (150 + 50 * np.sin(2 * np.pi * t / 7)) * t)
        x = np.stack([tone, 0.8 * tone]) + 0.01 * rng.standard_normal((2, RATE))
        f = av.AudioFrame.from_ndarray(np.ascontiguousarray(x.astype(np.float32)), format="fltp", layout="stereo")
        f.sample_rate = RATE
        for p in st.encode(f):
            out.mux(p)
    for p in st.encode():
        out.mux(p)
    out.close()


if __name__ == "__main__":
    write(sys.argv[1], int(sys.argv[2]))
