"""Read postmortem files from a GitHub repository (PyGithub), for the pull-request hook and the sweep.

Reads only: PyGithub's own retry is off (`retry=None`) and every failure is mapped to connectors.errors,
so the Celery task decides when to try again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, UnknownObjectException

from config.settings import Settings
from config.sources import GitHubSource
from connectors.errors import AuthError, Invalid, NotFound, RateLimited, TrackerError, Transient
from connectors.sources import Document, GitHubFile

T = TypeVar("T")
_TIMEOUT = 15


@dataclass(frozen=True, slots=True)
class MergedPull:
    """A merged pull request: where it merged, and the files it added or changed."""

    repo: str
    number: int
    merged: bool
    base_ref: str
    merge_sha: str | None
    paths: tuple[str, ...]
    #: When it merged: the version of the documents it brought (a replayed older merge never wins).
    merged_at: datetime | None = None


@contextmanager
def _mapped(what: str) -> Iterator[None]:
    """Turn PyGithub and requests failures into our error classes."""
    try:
        yield
    except UnknownObjectException:
        raise NotFound(f"{what}: not found") from None
    except GithubException as exc:
        raise _from_status(exc.status, exc.headers or {}, what) from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise Transient(f"{what}: {type(exc).__name__}") from None


def _from_status(status: int, headers: dict[str, Any], what: str) -> TrackerError:
    lower = {str(k).lower(): v for k, v in headers.items()}
    retry_after = lower.get("retry-after")
    if status == 429 or (status == 403 and (retry_after or lower.get("x-ratelimit-remaining") == "0")):
        return RateLimited(f"{what}: rate limited", retry_after=_seconds(retry_after, 60.0))
    if status in (401, 403):
        return AuthError(f"{what}: HTTP {status}")
    if status == 404:
        return NotFound(f"{what}: not found")
    if status >= 500:
        return Transient(f"{what}: HTTP {status}")
    return Invalid(f"{what}: HTTP {status}")


def _seconds(value: Any, default: float) -> float:
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return default


class GitHubReader:
    """Fetch postmortem files and merged pull requests from one GitHub API."""

    def __init__(self, settings: Settings, *, client: Github | None = None) -> None:
        self._settings = settings
        if client is None:
            token = settings.github_token.get_secret_value() if settings.github_token else None
            client = Github(
                auth=Auth.Token(token) if token else None,
                base_url=settings.github_api_url,
                timeout=_TIMEOUT,
                retry=None,
                per_page=100,
            )
        self._github = client

    def _call(self, what: str, func: Callable[[], T]) -> T:
        with _mapped(what):
            return func()

    def default_branch(self, repo: str) -> str:
        """The repository's default branch."""
        return self._call(repo, lambda: str(self._github.get_repo(repo).default_branch))

    def fetch(self, ref: GitHubFile) -> Document:
        """One file's bytes at a commit or branch; refuses files over the document size limit."""
        limit = self._settings.max_document_bytes

        def read() -> bytes:
            repository = self._github.get_repo(ref.repo)
            contents = repository.get_contents(ref.path, ref=ref.ref)
            if isinstance(contents, list):
                raise Invalid(f"{ref}: is a folder, not a file")
            if contents.size > limit:
                raise Invalid(f"{ref}: {contents.size} bytes is over max_document_bytes ({limit})")
            if contents.encoding == "base64" and contents.content:
                return bytes(contents.decoded_content)
            # Files over 1 MB come without content from the contents API: read the blob instead.
            blob = repository.get_git_blob(contents.sha)
            import base64

            return base64.b64decode(blob.content)

        content = self._call(str(ref), read)
        return Document(content=content, source=ref, filename=ref.path.rsplit("/", 1)[-1])

    def list_postmortems(self, source: GitHubSource) -> list[GitHubFile]:
        """Every postmortem file under the configured folder on the branch, pinned to its commit."""

        # One call each, so an error names what failed: the repository, the branch or the tree.
        repository = self._call(f"{source.repo}: read repository", lambda: self._github.get_repo(source.repo))
        branch = source.branch or self._call(f"{source.repo}: default branch",
                                             lambda: str(repository.default_branch))
        sha = self._call(f"{source.repo}: branches ({branch!r})",
                         lambda: repository.get_branch(branch).commit.sha)
        tree = self._call(f"{source.repo}: tree of {branch!r}",
                          lambda: repository.get_git_tree(sha, recursive=True))
        return [
            GitHubFile(source.repo, sha, element.path)
            for element in tree.tree
            if element.type == "blob" and source.covers(element.path)
        ]

    def commit_time(self, ref: GitHubFile) -> datetime | None:
        """When the file last changed at `ref` (its newest commit's committer date); None if unknown."""

        def read() -> datetime | None:
            for commit in self._github.get_repo(ref.repo).get_commits(sha=ref.ref, path=ref.path):
                when = commit.commit.committer.date
                return when if when.tzinfo else when.replace(tzinfo=UTC)
            return None

        return self._call(f"{ref.repo}: commits of {ref.path}", read)

    def merged_pull(self, repo: str, number: int) -> MergedPull:
        """A pull request's merge state and the paths it added or modified (not removed ones)."""

        def read() -> MergedPull:
            pull = self._github.get_repo(repo).get_pull(number)
            paths = tuple(f.filename for f in pull.get_files() if f.status != "removed")
            return MergedPull(repo=repo, number=number, merged=bool(pull.merged),
                              base_ref=pull.base.ref, merge_sha=pull.merge_commit_sha, paths=paths,
                              merged_at=pull.merged_at)

        return self._call(f"{repo}#{number}", read)
