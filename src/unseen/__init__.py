"""unseen: make a photo safe to share. Faces hidden, metadata gone, every output verified."""
from .api import audit, clean
from .model import AuditResult, CleanResult, Detections, Finding, Region

__version__ = "0.1.0"
__all__ = ["audit", "clean", "AuditResult", "CleanResult", "Detections", "Finding", "Region", "__version__"]
