"""Which signal tells a face candidate from the rest: candidate by candidate, by size.

    python bench/signals.py [--data ../shared/eval/faces-wider] [--limit N] [--mtcnn] [--pose] [--segment] [--results NAME.json]

The candidates are what unseen's main detector hands the judge on a photo (CenterFace over its
pyramid, mirrored, threshold 0.07, duplicates suppressed): on the 200 WIDER photos of
bench/faces.py (squeezed to 416x416 as the set ships them) and the 42 people-free photos of
bench/people_free.py (made by it, or here). A WIDER candidate overlapping an annotated face by
IoU 0.3 or more is a face, one overlapping none by more than 0.05 is not (unannotated heads in
crowds land here too: the rates for "not a face" are upper bounds); every candidate on a
people-free photo is not a face. For each signal and each size (box height in the photo's
pixels), the table gives the share of non-face candidates that pass a bar set to keep 85%, 90%
and 95% of the face candidates of that size (lower is better; "all / people-free"), and the
share of faces the bar really keeps (more where a signal of few values ties at the bar).

Signals: the detector's own score; the judge's second look (CenterFace again on the candidate
zoomed so that its box is a third of a 96-px crop, see src/unseen/detect/second_look.py), and
the same look with 64, 128 and 160 px crops; agreement across the pyramid's passes (how many of
them found the candidate; the mean of their scores); where CenterFace puts the five landmarks at
the look's peak, against where it puts them on clear faces; and with --mtcnn the face/non-face stages
of MTCNN (R-Net at 24 px, O-Net at 48 px, on the candidate's square box and on 1.3 times it),
a model family of its own, from the `mtcnn==1.0.0` wheel (MIT; weights read with joblib and lz4
in bench/.venv-mtcnn, made on first use; the two small networks run here in numpy); and with
--pose MediaPipe's person detector (BlazePose's, `pose_detection.tflite` from the
`mediapipe==0.10.14` wheel, Apache-2.0, run with LiteRT): it finds a person by the face, so a
crop around a candidate (4x its box centred, 6x with the box in the upper third, 8x centred,
each resized to its 224-px input) scores the person whose face lies on the candidate; and with
--segment MediaPipe's selfie segmentation (`selfie_segmentation.tflite`, the general 256-px model,
same wheel and licence): on a video call's head-and-shoulders framing of the candidate (a square
4x or 6x its box height, the box centred across with its centre 0.3 down), the mean person
probability on the box and on a torso below it (1.5 box widths, from its bottom down 1.5 heights).
Writes bench/results/signals.json (or --results).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from faces import load_gt  # noqa: E402
from people_free import PHOTOS, prepare  # noqa: E402

SIZES = [(0, 16), (16, 32), (32, 64), (64, 10**9)]
KEEP = (85, 90, 95)
CROPS = (64, 96, 128, 160)


def all_boxes(data: Path) -> dict[str, np.ndarray]:
    """Every annotated box of each photo (x0, y0, x1, y1), WIDER's invalid ones too (they are
    faces all the same)."""
    return {name: np.array([[x, y, x + w, y + h] for x, y, w, h in rows], dtype=np.float32).reshape(-1, 4) for name, rows in load_gt(data, invalid=True).items()}


def candidates(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """The judge's candidates on one photo with every signal but MTCNN's."""
    import unseen.detect.second_look as second_look
    from unseen.detect import Detections, _nms, face_finder, judge_for
    from unseen.detect.boxes import iou_matrix

    finder = face_finder()
    runs = finder.runs(rgb)
    found = _nms(sum(runs.values(), Detections()))
    boxes = found.boxes().reshape(-1, 4)
    support = np.zeros((len(found), len(runs)), dtype=np.float32)
    for k, one in enumerate(runs.values()):
        if len(one) and len(found):
            support[:, k] = (one.scores()[None, :] * (iou_matrix(boxes, one.boxes()) >= 0.4)).max(axis=1)
    out = {"box": boxes, "score": found.scores(), "passes": (support > 0).sum(axis=1) / max(1, len(runs)), "pass_mean": support.mean(axis=1) if len(runs) else support.sum(axis=1)}
    shipped = second_look.CROP
    try:
        for crop in CROPS:
            second_look.CROP = crop  # read by the look's crops and its model input
            look = second_look.SecondLook(judge_for(finder).look.model)
            out[f"look{crop}"] = look.scores(rgb, list(found)) if len(found) else np.zeros(0, np.float32)
    finally:
        second_look.CROP = shipped
    out["landmarks"] = landmarks(rgb, list(found), judge_for(finder).look.model)
    return out


def landmarks(rgb: np.ndarray, regions: list, model) -> np.ndarray:  # type: ignore[no-untyped-def]
    """CenterFace's five landmarks at the second look's peak (the look's 96-px crop), in units
    of the box it predicts there (10 values per candidate): a face's eyes, nose and mouth sit
    where a face's do, a texture's need not."""
    from unseen.detect.second_look import CROP, _crop

    img = Image.fromarray(np.ascontiguousarray(rgb[..., :3]))
    centre = slice(CROP // 12, -(-CROP * 2 // 12))
    out = []
    for start in range(0, len(regions), 64):
        part = np.stack([_crop(img, r) for r in regions[start : start + 64]])
        blob = np.zeros((64, -(-CROP // 32) * 32, -(-CROP // 32) * 32, 3), np.uint8)
        blob[: len(part), :CROP, :CROP] = part
        heat, _, _, marks = model.run(blob)
        for i in range(len(part)):
            cells = heat[i, 0, centre, centre]
            y, x = np.unravel_index(int(np.argmax(cells)), cells.shape)
            out.append(marks[i, :, centre.start + y, centre.start + x])
    return np.array(out, np.float32).reshape(-1, 10)


# --- MediaPipe's person (pose) detector: SSD anchors and decoding as its graph's options say ---

def mediapipe_model(name: str) -> bytes:
    """A model file under mediapipe/modules/ of the mediapipe 0.10.14 wheel (downloaded into
    bench/out once; read from the wheel, nothing installed)."""
    import zipfile

    wheel = HERE / "out" / "signals" / "wheel"
    if not list(wheel.glob("mediapipe-0.10.14-*.whl")):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "mediapipe==0.10.14", "-d", str(wheel)], check=True)
    return zipfile.ZipFile(next(wheel.glob("mediapipe-0.10.14-*.whl"))).read(f"mediapipe/modules/{name}")


POSE_GEOMETRY = {"4x": (4.0, 0.5), "6x high": (6.0, 0.3), "8x": (8.0, 0.5)}  # crop side in box sides, box centre's height in the crop


class PoseDetector:
    """``pose_detection.tflite`` from the mediapipe wheel (downloaded into bench/out once; the
    file is read from the wheel, nothing installed). Input 224x224 RGB in -1..1; 2254 anchors
    (strides 8 and 16 with 2 a cell, three stride-32 layers with 6); each output row is the face
    box (centre offset and size, in input pixels) and 4 body keypoints."""

    SIDE = 224

    def __init__(self) -> None:
        import hashlib

        from ai_edge_litert.interpreter import Interpreter

        model = mediapipe_model("pose_detection/pose_detection.tflite")
        self.sha256 = hashlib.sha256(model).hexdigest()
        self.interp = Interpreter(model_content=model, num_threads=2)
        self.interp.allocate_tensors()
        self._in = self.interp.get_input_details()[0]["index"]
        outs = sorted(self.interp.get_output_details(), key=lambda d: d["shape"][-1])
        self._scores, self._boxes = outs[0]["index"], outs[1]["index"]
        anchors = []
        for stride, n in ((8, 2), (16, 2), (32, 6)):
            cells = self.SIDE // stride
            ys, xs = np.mgrid[0:cells, 0:cells]
            anchors.append(np.repeat(np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], -1).reshape(-1, 1, 2), n, axis=1).reshape(-1, 2))
        self.anchors = np.concatenate(anchors).astype(np.float32)

    def faces(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores and face boxes (x0, y0, x1, y1 in 0..1) of every anchor on one 224-px crop."""
        self.interp.set_tensor(self._in, (crop.astype(np.float32) / 127.5 - 1.0)[None])
        self.interp.invoke()
        raw = self.interp.get_tensor(self._boxes)[0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(self.interp.get_tensor(self._scores)[0, :, 0], -80, 80)))
        cx, cy = raw[:, 0] / self.SIDE + self.anchors[:, 0], raw[:, 1] / self.SIDE + self.anchors[:, 1]
        w, h = raw[:, 2] / self.SIDE, raw[:, 3] / self.SIDE
        return scores, np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)

    def _crop(self, img: Image.Image, left: float, top: float, side: float) -> np.ndarray:
        """The square at (left, top) of ``side`` px resized to the input; outside the picture
        black (only the part inside is cut out: a large candidate's 8x square can be huge)."""
        k = self.SIDE / side
        x0, y0 = max(0, round(left)), max(0, round(top))
        x1, y1 = min(img.width, round(left + side)), min(img.height, round(top + side))
        canvas = Image.new("RGB", (self.SIDE, self.SIDE))
        if x1 > x0 and y1 > y0:
            part = img.crop((x0, y0, x1, y1)).resize((max(1, round((x1 - x0) * k)), max(1, round((y1 - y0) * k))), Image.BILINEAR)
            canvas.paste(part, (round((x0 - left) * k), round((y0 - top) * k)))
        return np.asarray(canvas)

    def signals(self, rgb: np.ndarray, boxes: np.ndarray) -> dict[str, np.ndarray]:
        """For each candidate and crop geometry: the best score of a person whose face lies
        on the candidate."""
        img = Image.fromarray(rgb)
        out = {g: np.zeros(len(boxes), np.float32) for g in POSE_GEOMETRY}
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            box_side, cx, cy = max(x1 - x0, y1 - y0, 1.0), (x0 + x1) / 2, (y0 + y1) / 2
            for g, (times, high) in POSE_GEOMETRY.items():
                side = times * box_side
                left, top = cx - side / 2, cy - high * side
                crop = self._crop(img, left, top, side)
                scores, found = self.faces(crop)
                # its face box is about 45 input px whatever the face's size (the model does not
                # size it): a find counts for the candidate when its centre lies within half the
                # candidate's box side of the candidate's centre
                near = np.hypot((found[:, 0] + found[:, 2]) / 2 - (cx - left) / side, (found[:, 1] + found[:, 3]) / 2 - (cy - top) / side)
                on = near <= 0.5 * box_side / side
                out[g][i] = float(scores[on].max()) if on.any() else 0.0
        return out


# --- MediaPipe's selfie segmentation: is there a person where a video call would frame one ---

SEGMENT_GEOMETRY = {"4x": 4.0, "6x": 6.0}  # crop side in box heights; box centred across, its centre 0.3 down


class SelfieSegmenter:
    """``selfie_segmentation.tflite`` (the general model) from the mediapipe wheel: 256x256 RGB
    in 0..1 (its graph's ImageToTensor range, zero borders), out a person probability per pixel
    (already a sigmoid: its graph applies no activation)."""

    SIDE = 256
    _crop = PoseDetector._crop  # the same square cut, black outside the picture

    def __init__(self) -> None:
        import hashlib

        from ai_edge_litert.interpreter import Interpreter

        model = mediapipe_model("selfie_segmentation/selfie_segmentation.tflite")
        self.sha256 = hashlib.sha256(model).hexdigest()
        self.interp = Interpreter(model_content=model, num_threads=2)
        self.interp.allocate_tensors()
        self._in, self._out = self.interp.get_input_details()[0]["index"], self.interp.get_output_details()[0]["index"]

    def mask(self, crop: np.ndarray) -> np.ndarray:
        self.interp.set_tensor(self._in, (crop.astype(np.float32) / 255.0)[None])
        self.interp.invoke()
        return self.interp.get_tensor(self._out)[0, :, :, 0]

    def signals(self, rgb: np.ndarray, boxes: np.ndarray) -> dict[str, np.ndarray]:
        """For each candidate and crop: the mean person probability on its box ("face") and on a
        torso below it (1.5 box widths wide, centred, from the box's bottom down 1.5 heights)."""
        img = Image.fromarray(rgb)
        out = {f"{part} {g}": np.zeros(len(boxes), np.float32) for g in SEGMENT_GEOMETRY for part in ("face", "torso")}
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            for g, times in SEGMENT_GEOMETRY.items():
                side = times * h
                left, top = cx - side / 2, cy - 0.3 * side
                m, k = self.mask(self._crop(img, left, top, side)), self.SIDE / side

                def mean(a: float, b: float, c: float, d: float) -> float:  # x0, y0, x1, y1 in the photo
                    c0, r0 = max(0, int((a - left) * k)), max(0, int((b - top) * k))
                    c1, r1 = min(self.SIDE, max(c0 + 1, round((c - left) * k))), min(self.SIDE, max(r0 + 1, round((d - top) * k)))
                    return float(m[r0:r1, c0:c1].mean()) if r1 > r0 and c1 > c0 else 0.0

                out[f"face {g}"][i] = mean(x0, y0, x1, y1)
                out[f"torso {g}"][i] = mean(cx - 0.75 * w, y1, cx + 0.75 * w, y1 + 1.5 * h)
        return out


# --- MTCNN's R-Net and O-Net in numpy (Keras layout: NHWC, kernels kh x kw x in x out) ---


def mtcnn_weights() -> dict[str, list[np.ndarray]]:
    """R-Net and O-Net weights from the mtcnn 1.0.0 wheel, as numpy arrays (cached)."""
    cache = HERE / "out" / "signals" / "mtcnn_weights.npz"
    if not cache.exists():
        venv = HERE / ".venv-mtcnn"
        if subprocess.run([str(venv / "bin" / "python"), "-c", "import joblib, lz4, numpy"], capture_output=True).returncode if (venv / "bin" / "python").exists() else True:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "numpy", "joblib", "lz4"], check=True)
        wheel = HERE / "out" / "signals" / "wheel"
        subprocess.run([str(venv / "bin" / "pip"), "download", "-q", "--no-deps", "mtcnn==1.0.0", "-d", str(wheel)], check=True)
        code = (
            "import joblib, numpy as np, sys, zipfile, io\n"
            "z = zipfile.ZipFile(sys.argv[1]); w = {}\n"
            "for n in ('rnet', 'onet'):\n"
            "    for i, a in enumerate(joblib.load(io.BytesIO(z.read(f'mtcnn/assets/weights/{n}.lz4')))): w[f'{n}_{i:02d}'] = a\n"
            "np.savez(sys.argv[2], **w)\n"
        )
        subprocess.run([str(venv / "bin" / "python"), "-c", code, str(next(wheel.glob("mtcnn-1.0.0-*.whl"))), str(cache)], check=True)
    data = np.load(cache)
    return {n: [data[k] for k in sorted(data.files) if k.startswith(n)] for n in ("rnet", "onet")}


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[:2], axis=(1, 2))
    return np.einsum("nhwcij,ijco->nhwo", windows, w, optimize=True) + b


def _prelu(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, x * a.reshape(-1))


def _pool(x: np.ndarray, k: int, s: int, same: bool) -> np.ndarray:
    if same:  # Keras "same": pad after (and before) with -inf so every output sees k x k
        ph = max((-(-x.shape[1] // s) - 1) * s + k - x.shape[1], 0)
        pw = max((-(-x.shape[2] // s) - 1) * s + k - x.shape[2], 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)), constant_values=-np.inf)
    return np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))[:, ::s, ::s].max(axis=(-1, -2))


def _softmax_face(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z[:, 1] / z.sum(axis=1)


def rnet(x: np.ndarray, w: list[np.ndarray]) -> np.ndarray:
    x = _pool(_prelu(_conv(x, w[0], w[1]), w[2]), 3, 2, True)
    x = _pool(_prelu(_conv(x, w[3], w[4]), w[5]), 3, 2, False)
    x = _prelu(_conv(x, w[6], w[7]), w[8]).transpose(0, 2, 1, 3).reshape(len(x), -1)
    return _softmax_face(_prelu(x @ w[9] + w[10], w[11]) @ w[14] + w[15])


def onet(x: np.ndarray, w: list[np.ndarray]) -> np.ndarray:
    x = _pool(_prelu(_conv(x, w[0], w[1]), w[2]), 3, 2, True)
    x = _pool(_prelu(_conv(x, w[3], w[4]), w[5]), 3, 2, False)
    x = _pool(_prelu(_conv(x, w[6], w[7]), w[8]), 2, 2, True)
    x = _prelu(_conv(x, w[9], w[10]), w[11]).transpose(0, 2, 1, 3).reshape(len(x), -1)
    return _softmax_face(_prelu(x @ w[12] + w[13], w[14]) @ w[19] + w[20])


def square_crops(img: Image.Image, boxes: np.ndarray, side: int, grow: float) -> np.ndarray:
    """Each box's square (its longer side times ``grow``) resized to ``side``, as MTCNN's stages
    take them: RGB scaled to about -1..1."""
    out = []
    for x0, y0, x1, y1 in boxes:
        cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * grow / 2
        out.append(np.asarray(img.crop((round(cx - half), round(cy - half), round(cx + half), round(cy + half))).resize((side, side), Image.BILINEAR), dtype=np.float32))
    return (np.stack(out) - 127.5) / 128 if out else np.zeros((0, side, side, 3), np.float32)


def mtcnn_signals(rgb: np.ndarray, boxes: np.ndarray, w: dict[str, list[np.ndarray]]) -> dict[str, np.ndarray]:
    if not len(boxes):
        return {f"{net}{grow}": np.zeros(0, np.float32) for net in ("rnet", "onet") for grow in (1.0, 1.3)}
    img = Image.fromarray(rgb)
    out = {}
    for grow in (1.0, 1.3):
        parts = [boxes[i : i + 256] for i in range(0, len(boxes), 256)]
        out[f"rnet{grow}"] = np.concatenate([rnet(square_crops(img, p, 24, grow), w["rnet"]) for p in parts])
        out[f"onet{grow}"] = np.concatenate([onet(square_crops(img, p, 48, grow), w["onet"]) for p in parts])
    return out


def table(label: np.ndarray, free: np.ndarray, height: np.ndarray, signals: dict[str, np.ndarray]) -> dict:
    out: dict = {}
    for lo, hi in SIZES:
        size = f"{lo}-{hi}" if hi < 10**9 else f"{lo}+"
        m = (height >= lo) & (height < hi)
        face, non, non_free = m & (label == 1), m & (label == 0), m & free
        out[size] = {"faces": int(face.sum()), "non_faces": int(non.sum()), "people_free": int(non_free.sum()), "signals": {}}
        for name, v in signals.items():
            cells = {}
            for keep in KEEP:
                bar = float(np.percentile(v[face], 100 - keep)) if face.any() else float("inf")
                # [non-faces passing, of them on people-free photos, faces actually kept: a signal
                # of few values (passes) ties at the bar and keeps more than asked]
                cells[f"keep{keep}"] = [float(np.mean(v[non] >= bar)) if non.any() else None, float(np.mean(v[non_free] >= bar)) if non_free.any() else None, float(np.mean(v[face] >= bar)) if face.any() else None]
            out[size]["signals"][name] = cells
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "eval" / "faces-wider")
    ap.add_argument("--limit", type=int, default=0, help="this many WIDER photos only")
    ap.add_argument("--mtcnn", action="store_true", help="also MTCNN's R-Net and O-Net (downloads the mtcnn wheel into bench/out once)")
    ap.add_argument("--pose", action="store_true", help="also MediaPipe's person detector (downloads the mediapipe wheel into bench/out once)")
    ap.add_argument("--segment", action="store_true", help="also MediaPipe's selfie segmentation on head-and-shoulders crops (same wheel)")
    ap.add_argument("--results", default="signals.json", help="file name under bench/results/")
    args = ap.parse_args()
    from unseen.detect.boxes import iou_matrix

    boxes = all_boxes(args.data)
    names = sorted(boxes)[: args.limit or None]
    free_dir = prepare([p[0] for p in PHOTOS])
    weights = mtcnn_weights() if args.mtcnn else None
    pose = PoseDetector() if args.pose else None
    segmenter = SelfieSegmenter() if args.segment else None
    pictures = [(np.asarray(Image.open(args.data / "images" / n).convert("RGB")), boxes[n]) for n in names]
    pictures += [(np.asarray(Image.open(p).convert("RGB")), None) for p in sorted(free_dir.glob("*.png"))]
    cols: dict[str, list[np.ndarray]] = {}
    for k, (rgb, truth) in enumerate(pictures):
        c = candidates(rgb)
        if weights is not None:
            c.update(mtcnn_signals(rgb, c["box"], weights))
        if pose is not None:
            c.update({f"pose {g}": v for g, v in pose.signals(rgb, c["box"]).items()})
        if segmenter is not None:
            c.update({f"segment {k}": v for k, v in segmenter.signals(rgb, c["box"]).items()})
        n = len(c["score"])
        if truth is None:
            label, free = np.zeros(n), np.ones(n, bool)
        else:
            best = iou_matrix(c["box"], truth).max(axis=1) if len(truth) and n else np.zeros(n)
            label, free = np.where(best >= 0.3, 1, np.where(best < 0.05, 0, -1)), np.zeros(n, bool)
        c.update(label=label, free=free, height=c["box"][:, 3] - c["box"][:, 1])
        for key, v in c.items():
            cols.setdefault(key, []).append(np.asarray(v))
        print(f"\r{k + 1}/{len(pictures)} pictures", end="", file=sys.stderr)
    print(file=sys.stderr)
    a = {k: np.concatenate(v) for k, v in cols.items()}
    s = a["score"]
    signals = {"score": s, "look (second look, 96 px)": a["look96"], "score + look (the judge)": s + a["look96"]}
    signals.update({f"score + look at {c} px": s + a[f"look{c}"] for c in CROPS if c != 96})
    signals["score + mean look 64-160 px"] = s + np.mean([a[f"look{c}"] for c in CROPS], axis=0)
    signals["passes finding it"] = a["passes"]
    signals["score + look + passes / 4"] = s + a["look96"] + a["passes"] / 4
    signals["score + look + mean pass score"] = s + a["look96"] + a["pass_mean"]
    # how far the landmarks lie from where a clear face's do (median and spread over the face
    # candidates the look is sure of), in spreads
    clear = (a["label"] == 1) & (a["look96"] > 0.5)
    if not clear.any():  # a small --limit: take every face candidate
        clear = a["label"] == 1
    marks = a["landmarks"]
    usual, spread = np.median(marks[clear], axis=0), np.maximum(marks[clear].std(axis=0), 1e-6)
    odd = np.sqrt((((marks - usual) / spread) ** 2).mean(axis=1))
    signals["landmarks where a face's are (-distance)"] = -odd
    signals["score + look - landmark distance / 10"] = s + a["look96"] - odd / 10
    if weights is not None:
        for g in ("1.0", "1.3"):
            signals[f"MTCNN R-Net ({g}x box)"] = a[f"rnet{g}"]
            signals[f"MTCNN O-Net ({g}x box)"] = a[f"onet{g}"]
        signals["score + look + O-Net / 2"] = s + a["look96"] + a["onet1.0"] / 2
        signals["score + look + (R-Net + O-Net) / 2"] = s + a["look96"] + (a["rnet1.0"] + a["onet1.0"]) / 2
    if pose is not None:
        for g in POSE_GEOMETRY:
            signals[f"person detector ({g} crop)"] = a[f"pose {g}"]
        best_pose = np.max([a[f"pose {g}"] for g in POSE_GEOMETRY], axis=0)
        signals["score + look + person detector (best crop) / 2"] = s + a["look96"] + best_pose / 2
        signals["score + look + person detector (8x crop) / 2"] = s + a["look96"] + a["pose 8x"] / 2
    if segmenter is not None:
        for g in SEGMENT_GEOMETRY:
            signals[f"person mask on the box ({g} crop)"] = a[f"segment face {g}"]
            signals[f"person mask on a torso below ({g} crop)"] = a[f"segment torso {g}"]
        both = {g: np.minimum(a[f"segment face {g}"], a[f"segment torso {g}"]) for g in SEGMENT_GEOMETRY}
        for g in SEGMENT_GEOMETRY:
            signals[f"person mask, min(box, torso) ({g} crop)"] = both[g]
        signals["person mask, box x torso (4x crop)"] = a["segment face 4x"] * a["segment torso 4x"]
        best_seg = np.max(list(both.values()), axis=0)
        signals["person mask, min(box, torso), best crop"] = best_seg
        for k in (2, 4):
            signals[f"score + look + mask min (4x crop) / {k}"] = s + a["look96"] + both["4x"] / k
            signals[f"score + look + mask min (best crop) / {k}"] = s + a["look96"] + best_seg / k
    res = {"wider_photos": len(names), "people_free_photos": len(pictures) - len(names), "candidates": int(len(s)), "mtcnn": weights is not None, "pose_detection_sha256": pose.sha256 if pose is not None else None, "selfie_segmentation_sha256": segmenter.sha256 if segmenter is not None else None, "by_height": table(a["label"], a["free"], a["height"], signals)}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / args.results).write_text(json.dumps(res, indent=1))
    print(f"{res['candidates']} candidates on {res['wider_photos']} WIDER and {res['people_free_photos']} people-free photos")
    for size, row in res["by_height"].items():
        print(f"\n{size} px: {row['faces']} face candidates, {row['non_faces']} others ({row['people_free']} on people-free photos); non-faces passing (all / people-free) at bars keeping {'/'.join(map(str, KEEP))}% of faces")
        for name, cells in row["signals"].items():
            print(f"  {name:42s} " + "  ".join(f"{c[0]:.3f}/{c[1]:.3f} (kept {c[2]:.0%})" if None not in c else "-" for c in cells.values()))


if __name__ == "__main__":
    main()
