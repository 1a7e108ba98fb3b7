"""A captured upload: the image as it was sent and the service's prediction record beside it.

The service writes `<capture_id>.<ext>` and then `<capture_id>.json` into its capture folder; the
record is written last, so a capture without one is incomplete and readers skip it. The export
command reads them back. Only the standard library here: the service imports this module.
"""

import hashlib
import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

# File extension of each format the service accepts (celestial.imaging.SUPPORTED_FORMATS).
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp",
              "TIFF": "tiff"}  # fmt: skip
RECORD_SUFFIX = ".json"
PARTIAL_SUFFIX = ".partial"

# Why an upload was kept.
OUT_OF_DISTRIBUTION = "out_of_distribution"
LOW_CONFIDENCE = "low_confidence"
SAMPLE = "sample"
REASONS = (OUT_OF_DISTRIBUTION, LOW_CONFIDENCE, SAMPLE)


@dataclass(frozen=True, slots=True)
class Capture:
    """One kept upload's record: the prediction the service answered with, and the file's facts."""

    capture_id: str
    request_id: str | None  # BentoML's, as in the X-BentoML-Request-ID header (in decimal)
    model_tag: str
    time: str  # UTC, ISO 8601
    prediction: str
    probabilities: dict[str, float]
    novelty: float
    in_distribution: bool
    reason: str  # one of REASONS
    sha256: str  # of the file's bytes, as uploaded
    format: str  # Pillow's name: JPEG, PNG, ...
    width: int
    height: int

    @property
    def top_probability(self) -> float:
        return max(self.probabilities.values())

    @property
    def image_name(self) -> str:
        return f"{self.capture_id}.{EXTENSIONS.get(self.format, 'img')}"


def new_capture_id(now: datetime | None = None) -> str:
    """Unique, and sorts by time: 20260130T140012Z-9a66a575."""
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{moment}-{uuid.uuid4().hex[:8]}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_capture(directory: Path, capture: Capture, data: bytes) -> int:
    """Write the image, then its record; return the bytes written. Each file is written under a
    temporary name and renamed, so no reader sees half a file; on an error nothing is left."""
    image = directory / capture.image_name
    record = directory / f"{capture.capture_id}{RECORD_SUFFIX}"
    text = json.dumps(asdict(capture), separators=(",", ":")).encode()
    try:
        _write_whole(image, data)
        _write_whole(record, text)
    except BaseException:
        image.unlink(missing_ok=True)
        raise
    return len(data) + len(text)


def _write_whole(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def read_captures(directory: Path) -> list[tuple[Capture, Path]]:
    """Every complete capture in a folder with its image file, oldest first; records that cannot
    be read, or whose image is missing, are skipped."""
    found = []
    for record in sorted(directory.glob(f"*{RECORD_SUFFIX}")):
        try:
            capture = Capture(**json.loads(record.read_text()))
        except (OSError, ValueError, TypeError):
            continue
        image = directory / capture.image_name
        if image.is_file():
            found.append((capture, image))
    return found


def usage(directory: Path) -> tuple[int, int]:
    """(captures, bytes) held in a capture folder, for the service's limits."""
    count = size = 0
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return 0, 0
    for entry in entries:
        if entry.name.endswith(PARTIAL_SUFFIX):
            continue
        try:
            size += entry.stat().st_size
        except OSError:  # removed meanwhile
            continue
        count += entry.name.endswith(RECORD_SUFFIX)
    return count, size
