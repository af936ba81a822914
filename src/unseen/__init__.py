"""unseen: make a photo, a video or a recording safe to share. Faces hidden, metadata rebuilt
away, voices disguised, every output verified; analyse and render apart, with an editable plan
between them."""
from .api import analyse, audit, clean, render
from .plan import Plan, load_plan
from .results import AuditResult, CleanResult
from .types import Detections, Finding, Region

__version__ = "0.1.0"
__all__ = ["analyse", "audit", "clean", "render", "load_plan", "Plan", "AuditResult", "CleanResult", "Detections", "Finding", "Region", "__version__"]
