"""Write a long 44.1 kHz stereo FLAC for memory measurements (README: sound memory):
``python tests/long_sound.py hour.flac 3600``. A gliding tone with a little noise, so the
disguise has no silent frame to skip; written one second at a time. A name ending in ``.mp4``
gets a video of eight small frames and the sound as AAC (a video's sound track:
``unseen clean --no-faces --audio keep --voice mute hour.mp4``)."""
from __future__ import annotations

import sys

import av
import numpy as np

RATE = 44100


def write(path: str, seconds: int) -> None:
    video = path.endswith(".mp4")
    out = av.open(path, "w", format="mp4" if video else "flac")
    st = out.add_stream("aac" if video else "flac", rate=RATE, layout="stereo")
    if video:  # every stream is added before the first packet is written
        v = out.add_stream("libx264", rate=2)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        for i in range(8):
            for p in v.encode(av.VideoFrame.from_ndarray(np.full((48, 64, 3), 30 * i, np.uint8), format="rgb24")):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
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
