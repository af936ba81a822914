"""Scene cuts: where one shot ends and the next begins (tracks never link across one)."""
from __future__ import annotations

import numpy as np

# A new shot: the 32x18 grey thumbnails of two successive frames no longer correlate (below 0.25;
# on the test footage cuts score 0.19 at most and camera moves 0.31 at least, while the mean
# difference of a dark cut, 23-26 grey levels, is below that of a fast pan over a bright crowd),
# or their mean difference is large (38 grey levels: a cut to or from a flat picture)
CUT_CORRELATION = 0.25
CUT_THRESHOLD = 38.0
FLAT = 4.0  # grey-level spread under which a thumbnail has no structure to correlate


def scene_cut(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether two successive frames' thumbnails (see DecodedFrame.thumbnail) belong to two shots."""
    if float(np.abs(after - before).mean()) > CUT_THRESHOLD:
        return True
    a, b = before - before.mean(), after - after.mean()
    spread_a, spread_b = float(np.sqrt((a * a).mean())), float(np.sqrt((b * b).mean()))
    if spread_a < FLAT or spread_b < FLAT:  # a fade or a black frame: no structure to compare
        return False
    return float((a * b).mean()) / (spread_a * spread_b) < CUT_CORRELATION
