"""A small client of Label Studio's REST API: the calls the export and pull commands make.

Plain httpx rather than label-studio-sdk: the SDK cannot be installed beside the project's pins
(it requires numpy < 2.3), so it stays in Label Studio's own environment. Authentication is
Label Studio's API token (`Authorization: Token ...`), as `make label-studio` sets it up.
"""

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from celestial.errors import UserError

# What `make label-studio` (scripts/label-studio.sh) starts with, for local use only.
DEFAULT_URL = "http://localhost:8080"
DEFAULT_TOKEN = "celestial-local-token"
# Files per upload request, and tasks per import request.
UPLOAD_BATCH = 50
IMPORT_BATCH = 500


@dataclass(frozen=True)
class Connection:
    url: str
    token: str

    @classmethod
    def from_env(cls, url: str | None = None, token: str | None = None) -> "Connection":
        """LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY (label-studio-sdk's names), or the local
        defaults."""
        return cls(
            url=url or os.environ.get("LABEL_STUDIO_URL", DEFAULT_URL),
            token=token or os.environ.get("LABEL_STUDIO_API_KEY", DEFAULT_TOKEN),
        )


class Studio:
    """One Label Studio server. Errors become a UserError that says what to do."""

    def __init__(self, connection: Connection, *, timeout: float = 120) -> None:
        self.url = connection.url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Token {connection.token}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Studio":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise UserError(
                f"Label Studio does not answer at {self.url} ({error}): start it with "
                "`make label-studio`, or set LABEL_STUDIO_URL"
            ) from None
        if response.status_code in (401, 403):
            raise UserError(
                f"Label Studio at {self.url} refused the API token ({response.status_code}): "
                "set LABEL_STUDIO_API_KEY to the token on its Account & Settings page"
            )
        if response.is_error:
            raise UserError(
                f"Label Studio: {method} {path} answered {response.status_code}: "
                f"{response.text[:500]}"
            )
        return response

    def find_project(self, title: str) -> dict | None:
        """The project with this title, if there is one (the first, if there are several)."""
        page = self.request("GET", "/api/projects/", params={"title": title, "page_size": 1000})
        results = page.json()
        results = results.get("results", results) if isinstance(results, dict) else results
        matches = [project for project in results if project["title"] == title]
        return min(matches, key=lambda project: project["id"]) if matches else None

    def create_project(self, **fields: Any) -> dict:
        return self.request("POST", "/api/projects/", json=fields).json()

    def update_project(self, project: int, **fields: Any) -> dict:
        return self.request("PATCH", f"/api/projects/{project}/", json=fields).json()

    def upload_files(self, project: int, files: Sequence[Path]) -> dict[str, str]:
        """Store files in Label Studio without making tasks of them; file name -> the URL path a
        task's data refers to it by (/data/upload/...)."""
        stored = {}
        for start in range(0, len(files), UPLOAD_BATCH):
            batch = files[start : start + UPLOAD_BATCH]
            # One field name per file: files in repeated fields of one name are stored once.
            form = {f"file{i}": (path.name, path.read_bytes()) for i, path in enumerate(batch)}
            upload = self.request(
                "POST",
                f"/api/projects/{project}/import",
                params={"commit_to_project": "false"},
                files=form,
            ).json()
            for upload_id in upload["file_upload_ids"]:
                name = self.request("GET", f"/api/import/file-upload/{upload_id}").json()["file"]
                # Stored as upload/<project>/<8 hex>-<name>
                stored[name.split("/")[-1].split("-", 1)[1]] = f"/data/{name}"
        return stored

    def import_tasks(self, project: int, tasks: Sequence[dict]) -> int:
        """Make tasks (with their predictions); returns how many were made."""
        made = 0
        for start in range(0, len(tasks), IMPORT_BATCH):
            batch = list(tasks[start : start + IMPORT_BATCH])
            made += self.request("POST", f"/api/projects/{project}/import", json=batch).json()[
                "task_count"
            ]
        return made

    def tasks(self, project: int, size: int = 500) -> Iterator[dict]:
        """Every task of a project, with its data."""
        seen, page = 0, 1
        while True:
            query = {"project": project, "page": page, "page_size": size, "fields": "task_only"}
            answer = self.request("GET", "/api/tasks/", params=query).json()
            yield from answer["tasks"]
            seen += len(answer["tasks"])
            if not answer["tasks"] or seen >= answer["total"]:
                return
            page += 1

    def views(self, project: int) -> list[dict]:
        return self.request("GET", "/api/dm/views/", params={"project": project}).json()

    def create_view(self, project: int, title: str, ordering: list[str]) -> dict:
        """A Data Manager tab of the project, its tasks in this order."""
        view = {"project": project, "data": {"title": title, "ordering": ordering}}
        return self.request("POST", "/api/dm/views/", json=view).json()

    def export(self, project: int) -> list[dict]:
        """Every task with its annotations, in Label Studio's JSON export format."""
        return self.request(
            "GET",
            f"/api/projects/{project}/export",
            params={"exportType": "JSON", "download_all_tasks": "true"},
        ).json()

    def download(self, path: str) -> bytes:
        """A file Label Studio stores (a task's image)."""
        return self.request("GET", path).content

    def annotate(self, task: int, result: list[dict], **fields: Any) -> dict:
        """Save an annotation as a labeller's submit does (the loop test labels this way)."""
        return self.request(
            "POST", f"/api/tasks/{task}/annotations/", json={"result": result, **fields}
        ).json()
