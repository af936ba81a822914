"""Voice protection against a speaker-verification attacker, metrics.md section 5.

    bench/.venv-voice/bin/python bench/voice.py      (after: bash bench/setup.sh --voice)

Attacker: Resemblyzer's GE2E encoder (weights in its wheel), cosine scores, equal error rate.
eval/speech: 5 speakers x 10 utterances (enrol 3, test 7) and 125 one-utterance impostors.
- original: enrol and test on untouched speech;
- ignorant: enrol on original speech, test on disguised speech;
- lazy-informed: enrol on speech disguised by a fresh run of the same tool, test on disguised.
Every utterance is disguised as its own file (fresh random parameters), exactly as
`unseen clean --voice disguise` does. Also reports STOI (original vs disguised) as an
intelligibility proxy. Writes bench/results/voice.json.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "eval" / "speech"

# load unseen's disguise without importing the whole package (this venv holds only the attacker)
_spec = importlib.util.spec_from_file_location("unseen_voice", HERE.parent / "src" / "unseen" / "voice.py")
voice = importlib.util.module_from_spec(_spec)
sys.modules["unseen_voice"] = voice
_spec.loader.exec_module(voice)  # type: ignore[union-attr]


def eer(target: np.ndarray, impostor: np.ndarray) -> float:
    thresholds = np.sort(np.concatenate([target, impostor]))
    best = (1.0, 0.0)
    for t in thresholds:
        frr = float(np.mean(target < t))
        far = float(np.mean(impostor >= t))
        if abs(frr - far) < abs(best[0] - best[1]):
            best = (frr, far)
    return (best[0] + best[1]) / 2


def main() -> None:
    from resemblyzer import VoiceEncoder, preprocess_wav
    import librosa

    enc = VoiceEncoder("cpu", verbose=False)
    speakers = sorted(p for p in (DATA / "speakers").iterdir() if p.is_dir())
    impostors = sorted((DATA / "impostors").glob("*.flac"))

    def load(p: Path) -> np.ndarray:
        wav, _ = librosa.load(str(p), sr=16000)
        return wav

    def embed(wav: np.ndarray) -> np.ndarray:
        return enc.embed_utterance(preprocess_wav(wav, source_sr=16000))

    def disguised(wav: np.ndarray) -> np.ndarray:
        return voice.disguise(wav, 16000)  # fresh random parameters each call, as per file

    utts = {s.name: [load(p) for p in sorted(s.glob("*.flac"))] for s in speakers}
    imp = [load(p) for p in impostors]
    emb = lambda wavs: np.array([embed(w) for w in wavs])  # noqa: E731
    orig = {k: emb(v) for k, v in utts.items()}
    disg = {k: emb([disguised(w) for w in v]) for k, v in utts.items()}  # the files shared
    disg_enrol = {k: emb([disguised(w) for w in v[:3]]) for k, v in utts.items()}  # attacker's own run
    imp_orig = emb(imp)
    imp_disg = emb([disguised(w) for w in imp])

    def scores(enrol: dict, tests: dict, imps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tgt, bad = [], []
        for k in utts:
            model = enrol[k][:3].mean(0)
            model /= np.linalg.norm(model)
            tgt += list(tests[k][3:] @ model)
            bad += list(imps @ model)
        return np.array(tgt), np.array(bad)

    result = {
        "original_eer": eer(*scores(orig, orig, imp_orig)),
        "ignorant_eer": eer(*scores(orig, disg, imp_disg)),
        "lazy_informed_eer": eer(*scores(disg_enrol, disg, imp_disg)),
    }
    try:
        from pystoi import stoi

        vals = [stoi(w, disguised(w), 16000, extended=False) for ws in utts.values() for w in ws[:4]]
        ref = [stoi(w, w + np.random.default_rng(0).normal(0, 0.05, len(w)).astype(np.float32), 16000) for ws in utts.values() for w in ws[:2]]
        result["stoi_disguised_mean"] = float(np.mean(vals))
        result["stoi_reference_noisy_mean"] = float(np.mean(ref))
    except ImportError:
        result["stoi_disguised_mean"] = None
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "voice.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
