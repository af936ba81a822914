"""What happened to each file: the results ``clean`` and ``audit`` return."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .plan import Plan
from .types import Finding, Region


@dataclass
class Verification:
    passed: bool
    checks: dict[str, str] = field(default_factory=dict)
    rounds: int = 1
    added: int = 0  # regions this run's verification masked beyond the plan it was given


@dataclass
class CleanResult:
    """What happened to one input file. ``error`` set means no output exists."""

    input: str
    input_sha256: str | None = None
    output: str | None = None
    kind: str | None = None
    format: str | None = None
    output_format: str | None = None
    fallback: str | None = None
    regions: list[Region] = field(default_factory=list)
    uncertain: list[Region] = field(default_factory=list)  # below the face rule, worth a look
    metadata_found: list[str] = field(default_factory=list)
    models: dict[str, str] = field(default_factory=dict)
    verification: Verification | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    status: str = "ok"  # ok | skipped | error
    plan: Plan | None = None  # what was rendered, with what verification added

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "input_sha256": self.input_sha256,
            "status": self.status,
            "output": self.output,
            "kind": self.kind,
            "format": self.format,
            "output_format": self.output_format,
            "fallback": self.fallback,
            "regions": [r.to_dict() for r in self.regions],
            "uncertain": [r.to_dict() for r in self.uncertain],
            "metadata_found": sorted(set(self.metadata_found)),
            "models": self.models,
            "verification": asdict(self.verification) if self.verification else None,
            "warnings": self.warnings,
            "added_by_verification": self.plan.added_by_verification() if self.plan is not None else [],
            "error": self.error,
        }


@dataclass
class AuditResult:
    input: str
    format: str | None = None
    kind: str | None = None
    width: int | None = None
    height: int | None = None
    findings: list[Finding] = field(default_factory=list)
    faces: list[Region] = field(default_factory=list)
    uncertain: list[Region] = field(default_factory=list)  # below the face rule: not identifying
    error: str | None = None

    @property
    def identifying(self) -> bool:
        return bool(self.faces) or any(f.identifying for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "format": self.format,
            "kind": self.kind,
            "size": [self.width, self.height] if self.width else None,
            "identifying": self.identifying,
            "findings": [asdict(f) for f in self.findings],
            "faces": [r.to_dict() for r in self.faces],
            "uncertain": [r.to_dict() for r in self.uncertain],
            "error": self.error,
        }
