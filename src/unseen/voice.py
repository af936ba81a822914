"""Voice disguise by signal processing (no model, nothing downloaded).

Per 32 ms frame, linear prediction splits the voice into a vocal-tract filter and an excitation;
the filter's poles are moved in angle by the McAdams transform (phi -> phi ** alpha), which
shifts the formants that carry a speaker's timbre. Then the pitch is moved (phase vocoder
stretch, then resampling back to the same length), a random spectral tilt changes the voice's
brightness, and a soft limiter keeps peaks below full scale. A recording is processed in 8-s
blocks that overlap and are cross-faded (``disguise_stream``), so memory does not grow with its
length. Parameters are drawn afresh for every file from the OS entropy pool and never stored or
printed, so two recordings of one person cleaned separately do not share one artificial voice.

This is disguise, not removal: muting is the only complete protection (see bench/voice.py).
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_toeplitz


@dataclass(frozen=True)
class Disguise:
    alpha: float  # McAdams coefficient: < 1 raises formants, > 1 lowers them
    pitch: float  # excitation resampling factor (> 1 raises pitch)
    tilt: float  # first-order spectral tilt coefficient

    @staticmethod
    def random() -> "Disguise":
        rnd = secrets.SystemRandom()
        up = rnd.random() < 0.5
        # formants and pitch move in the same direction (as between real speakers), far enough
        # to leave the speaker's region, not so far that speech breaks down
        alpha = rnd.uniform(0.68, 0.80) if up else rnd.uniform(1.14, 1.26)
        pitch = 2 ** (rnd.uniform(4.0, 7.0) / 12) if up else 2 ** (-rnd.uniform(3.5, 6.0) / 12)
        return Disguise(alpha=alpha, pitch=pitch, tilt=rnd.uniform(-0.3, 0.3))


def _lpc(frame: np.ndarray, order: int) -> np.ndarray:
    r = np.correlate(frame, frame, mode="full")[len(frame) - 1 : len(frame) + order]
    if r[0] <= 1e-9:
        return np.concatenate([[1.0], np.zeros(order)])
    r = r.copy()
    r[0] *= 1.0 + 1e-4  # white-noise correction keeps the system well conditioned
    a = solve_toeplitz(r[:order], -r[1 : order + 1])
    return np.concatenate([[1.0], a])


def _mcadams(a: np.ndarray, alpha: float) -> np.ndarray:
    poles = np.roots(a)
    out = []
    for p in poles:
        ang = np.angle(p)
        if np.iscomplex(p) and abs(ang) > 1e-6:
            new = np.sign(ang) * min(np.pi * 0.98, abs(ang) ** alpha)
            out.append(abs(p) * np.exp(1j * new))
        else:
            out.append(p)
    return np.real(np.poly(out))


def _time_stretch(x: np.ndarray, rate: float, n_fft: int, hop: int) -> np.ndarray:
    """Phase vocoder: play ``x`` ``rate`` times faster without changing its pitch."""
    window = np.hanning(n_fft + 1)[:-1]
    pad = np.concatenate([np.zeros(n_fft), x, np.zeros(n_fft)])
    frames = np.lib.stride_tricks.sliding_window_view(pad, n_fft)[::hop] * window
    spec = np.fft.rfft(frames, axis=1)
    steps = np.arange(0, len(spec) - 1, rate)
    expected = 2 * np.pi * hop * np.arange(spec.shape[1]) / n_fft
    phase = np.angle(spec[0])
    out = np.zeros(len(steps) * hop + n_fft)
    for k, t in enumerate(steps):
        i = int(t)
        frac = t - i
        mag = (1 - frac) * np.abs(spec[i]) + frac * np.abs(spec[i + 1])
        out[k * hop : k * hop + n_fft] += np.fft.irfft(mag * np.exp(1j * phase), n_fft) * window
        delta = np.angle(spec[i + 1]) - np.angle(spec[i]) - expected
        delta -= 2 * np.pi * np.round(delta / (2 * np.pi))
        phase = phase + expected + delta
    out /= (window**2).sum() / hop
    return out[n_fft:]


def _pitch_shift(x: np.ndarray, factor: float, rate: int) -> np.ndarray:
    """Stretch by ``factor`` then resample back to the original length: pitch x ``factor``."""
    n_fft = 1 << int(np.ceil(np.log2(0.032 * rate)))
    longer = _time_stretch(x, 1.0 / factor, n_fft, n_fft // 4)
    idx = np.arange(len(x)) * factor
    return np.interp(idx, np.arange(len(longer)), longer, right=0.0)


def _disguise_block(x: np.ndarray, rate: int, params: Disguise) -> np.ndarray:
    """Formants, pitch and tilt of one mono block; same length, not yet limited."""
    # here, not at the top: scipy.signal takes 0.6 s to import, and every photo or video
    # cleaned (each batch worker too) would pay it for a sound it never touches
    from scipy.signal import lfilter

    n = len(x)
    win_len = max(64, int(0.032 * rate)) // 2 * 2
    hop = win_len // 2
    window = np.hanning(win_len + 1)[:-1]  # periodic Hann: halves overlap-add to one
    order = int(min(24, 4 + rate // 1000))
    pad = np.concatenate([np.zeros(win_len), x, np.zeros(win_len)])
    out = np.zeros_like(pad)
    for start in range(0, len(pad) - win_len, hop):
        frame = pad[start : start + win_len] * window
        if not frame.any():
            continue
        a = _lpc(frame, order)
        residual = lfilter(a, [1.0], frame)
        b = _mcadams(a, params.alpha)
        y = lfilter([1.0], b, residual)
        # keep the frame's loudness: warped filters can change gain a lot
        e_in, e_out = np.sqrt(np.mean(frame**2)), np.sqrt(np.mean(y**2))
        if e_out > 1e-9 and np.isfinite(e_out):
            y *= e_in / e_out
        else:
            y = np.zeros_like(y)
        out[start : start + win_len] += y * window
    y = out[win_len : win_len + n]
    y = _pitch_shift(y, params.pitch, rate)
    return lfilter([1.0, -params.tilt], [1.0], y)


def _limit(y: np.ndarray) -> np.ndarray:
    """A soft limiter: unchanged up to 0.9, then bent smoothly towards 0.99. Sample by sample,
    so a stream needs no look at its loudest moment first (as a peak normaliser would)."""
    mag = np.abs(y)
    over = mag > 0.9
    if over.any():
        y = y.copy()
        y[over] = np.sign(y[over]) * (0.9 + 0.09 * np.tanh((mag[over] - 0.9) / 0.09))
    return y


# The disguise runs on blocks of BLOCK_SECONDS that overlap by OVERLAP_SECONDS, cross-faded, so
# memory is flat in a recording's length. The overlap is many analysis windows long (32 ms), so
# the ends of a block, where its frames lack context, are faded out under the next block.
BLOCK_SECONDS = 8.0
OVERLAP_SECONDS = 0.5


def disguise_stream(blocks: Iterable[np.ndarray], rate: int, params: Disguise) -> Iterator[np.ndarray]:
    """Disguise a stream of (channels, n) float blocks; yields blocks of the same total length.
    One set of parameters for every channel, so stereo stays coherent."""
    step, overlap = int(BLOCK_SECONDS * rate), int(OVERLAP_SECONDS * rate)
    buf: np.ndarray | None = None
    tail: np.ndarray | None = None  # the last segment's end, to cross-fade with the next one's start

    def run(seg: np.ndarray) -> np.ndarray:
        nonlocal tail
        out = np.stack([_disguise_block(ch.astype(np.float64), rate, params) for ch in seg])
        if tail is not None:
            k = min(tail.shape[1], out.shape[1])
            # equal power: the two blocks' phase vocoders start from unrelated phases, so their
            # outputs are uncorrelated and an equal-gain fade would dip 3 dB half-way
            angle = 0.5 * np.pi * (np.arange(k) + 0.5) / k
            out[:, :k] = tail[:, :k] * np.cos(angle) + out[:, :k] * np.sin(angle)
        return out

    for block in blocks:
        buf = block if buf is None else np.concatenate([buf, block], axis=1)
        while buf.shape[1] >= step + overlap:
            out = run(buf[:, : step + overlap])
            yield _limit(out[:, :step]).astype(np.float32)
            tail, buf = out[:, step:], buf[:, step:]
    if buf is not None and buf.shape[1]:
        yield _limit(run(buf)).astype(np.float32)


def disguise(samples: np.ndarray, rate: int, params: Disguise | None = None) -> np.ndarray:
    """Transform a mono float signal in [-1, 1]; returns the same length."""
    params = params or Disguise.random()
    if len(samples) == 0:
        return samples
    return np.concatenate(list(disguise_stream([samples[None, :]], rate, params)), axis=1)[0]


def voiced_share(samples: np.ndarray, rate: int) -> float:
    """Share of 30 ms frames that are loud enough and periodic at a speaking pitch (70-400 Hz):
    a model-free hint that a recording holds speech (or singing)."""
    voiced, total = voiced_frames(samples, rate)
    return voiced / max(1, total)


def voiced_share_stream(blocks: Iterable[np.ndarray], rate: int) -> tuple[float, int]:
    """``voiced_share`` of a stream of (channels, n) blocks, channels mixed; and its length in
    sample frames. Memory stays flat: frames cut by a block's end wait for the next block."""
    n = int(0.03 * rate)
    carry = np.zeros(0, np.float32)
    voiced = total = length = 0
    for block in blocks:
        length += block.shape[1]
        x = np.concatenate([carry, block.mean(0)])
        usable = len(x) // max(1, n) * n
        v, t = voiced_frames(x[:usable], rate)
        voiced, total, carry = voiced + v, total + t, x[usable:]
    return voiced / max(1, total), length


def voiced_frames(samples: np.ndarray, rate: int) -> tuple[int, int]:
    """(voiced, all) 30 ms frames of a mono signal."""
    x = samples.astype(np.float64)
    n = int(0.03 * rate)
    if len(x) < n or n < 16:
        return 0, 0
    lo, hi = rate // 400, rate // 70
    voiced = total = 0
    for start in range(0, len(x) - n + 1, n):
        f = x[start : start + n] - x[start : start + n].mean()
        energy = float(np.mean(f**2))
        total += 1
        if energy < 1e-5:  # about -50 dBFS
            continue
        ac = np.correlate(f, f, "full")[n - 1 :]
        if hi < len(ac) and ac[0] > 0 and ac[lo:hi].max() / ac[0] > 0.45:
            voiced += 1
    return voiced, total
