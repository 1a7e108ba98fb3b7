"""The version of the data a model is trained on: the hash DVC records for data/raw.

It is the `md5` of data/raw in data/raw.dvc and in dvc.lock's train stage, computed here from the
files themselves, so that a model's metadata names the data it really saw, even when data/raw
changed after its last `dvc add`. DVC 3's directory hash: the md5 of the JSON list of
{"md5": <file md5>, "relpath": <posix path>} sorted by path, with ".dir" appended.
"""

import hashlib
import json
from pathlib import Path

CHUNK = 1024 * 1024


def data_version(folder: Path) -> str:
    """DVC's md5 of a folder, e.g. "36730f2b1e7beaaff234c7154e8eca14.dir"."""
    entries = [
        {"md5": _md5(path), "relpath": path.relative_to(folder).as_posix()}
        for path in folder.rglob("*")
        if path.is_file()
    ]
    entries.sort(key=lambda entry: entry["relpath"])
    listing = json.dumps(entries, sort_keys=True).encode("utf-8")
    return hashlib.md5(listing).hexdigest() + ".dir"


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
