"""GitHub for the postmortem contract: an open pull request's files, its one preview comment, and the
guarded file write that puts ticket links into a postmortem (PyGithub, retries off).

The file write is the contents API's PUT with the blob `sha` that was read: a stale `sha` answers 409 and
becomes `Conflict`, so a person's commit in between is never overwritten. The preview comment is found by
its hidden marker among the comments our own account wrote, and edited in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from github import Auth, Github, GithubException

from config.settings import Settings
from connectors.errors import Conflict
from connectors.revision import Revision
from connectors.sources.github import _mapped

_TIMEOUT = 15


def client(settings: Settings, *, lazy: bool = False) -> Github:
    """PyGithub without its own retries; `lazy` skips the GET of a repository before using it."""
    token = settings.github_token.get_secret_value() if settings.github_token else None
    return Github(auth=Auth.Token(token) if token else None, base_url=settings.github_api_url,
                  timeout=_TIMEOUT, retry=None, per_page=100, lazy=lazy)


@dataclass(frozen=True, slots=True)
class OpenPull:
    repo: str
    number: int
    head_sha: str
    head_ref: str
    author: str
    paths: tuple[str, ...]  # added or changed, not removed


class GitHubReview:
    """Read an open pull request and keep its one preview comment."""

    def __init__(self, settings: Settings, repo: str, *, github: Github | None = None) -> None:
        self._github = github or client(settings, lazy=True)
        self._repo = repo

    def open_pull(self, number: int) -> OpenPull:
        with _mapped(f"{self._repo}#{number}"):
            pull = self._github.get_repo(self._repo).get_pull(number)
            paths = tuple(f.filename for f in pull.get_files() if f.status != "removed")
            return OpenPull(self._repo, number, str(pull.head.sha), str(pull.head.ref),
                            str(pull.user.login) if pull.user else "", paths)

    def upsert_comment(self, number: int, body: str, marker: str) -> str:
        """Edit our comment that carries `marker`, or post it once; returns "edited", "created" or "same"."""
        with _mapped(f"{self._repo}#{number} comments"):
            issue = self._github.get_repo(self._repo).get_issue(number)
            for comment in issue.get_comments():
                if marker in (comment.body or "") and comment.user is not None \
                        and comment.user.login == self._own_login():
                    if comment.body == body:
                        return "same"
                    comment.edit(body)
                    return "edited"
            issue.create_comment(body)
            return "created"

    def upsert_check_run(self, head_sha: str, name: str, title: str, summary: str, text: str, *,
                         attention: bool) -> str:
        """Our check run `name` on the head commit, edited in place when it exists; green (success) when
        nothing needs attention, neutral otherwise. Returns "edited" or "created"."""
        conclusion = "neutral" if attention else "success"
        output: dict[str, str | list[dict[str, str | int]]] = {
            "title": title[:255], "summary": summary[:65_000], "text": text[:65_000]}
        with _mapped(f"{self._repo}@{head_sha[:12]} check runs"):
            repository = self._github.get_repo(self._repo)
            for run in repository.get_commit(head_sha).get_check_runs(check_name=name):
                run.edit(status="completed", conclusion=conclusion, output=output)
                return "edited"
            repository.create_check_run(name=name, head_sha=head_sha, status="completed",
                                        conclusion=conclusion, output=output)
            return "created"

    def _own_login(self) -> str:
        return str(self._github.get_user().login)


class GitHubFileWriter:
    """One postmortem file on one branch, read and written with its blob sha as the guard."""

    def __init__(self, settings: Settings, repo: str, path: str, branch: str, *,
                 github: Github | None = None) -> None:
        self._github = github or client(settings, lazy=True)
        self._repo, self._path, self._branch = repo, path, branch

    def read(self) -> Revision:
        with _mapped(f"{self._repo}:{self._path}"):
            contents = self._github.get_repo(self._repo).get_contents(self._path, ref=self._branch)
            if isinstance(contents, list):
                raise Conflict(f"{self._path} is a folder")
            return Revision(bytes(contents.decoded_content).decode("utf-8"), str(contents.sha))

    def write(self, text: str, base: Revision, message: str) -> None:
        """Commit `text` if the file still has the blob `base.token`; else raise Conflict."""
        repository = self._github.get_repo(self._repo)
        with _mapped(f"{self._repo}:{self._path}"):
            try:
                repository.update_file(self._path, message, text.encode("utf-8"), base.token,
                                       branch=self._branch)
            except GithubException as exc:
                if exc.status == 409:  # the sha is stale: a commit landed since our read
                    raise Conflict(f"{self._path}: changed since it was read") from None
                raise

    def comment(self, text: str, base: Revision) -> None:
        """A commit comment on the branch head, where the links go when the file cannot take them."""
        with _mapped(f"{self._repo}@{self._branch}"):
            repository = self._github.get_repo(self._repo)
            head = repository.get_branch(self._branch).commit.sha
            repository.get_commit(head).create_comment(text)


class GitHubPullWriter:
    """The links proposed as a pull request: committed on our own branch, never on the postmortem branch.

    While our pull request is open, its branch is what is read and written (a second run finds the links
    there and writes nothing); with none open, the base branch is read, our branch is pointed at the base's
    head and the file is committed there with the blob sha read from the base (a person's commit to the
    file in between makes it stale: 409, `Conflict`), then the pull request is opened.
    """

    def __init__(self, settings: Settings, repo: str, path: str, base: str, work: str, *,
                 github: Github | None = None) -> None:
        self._github = github or client(settings, lazy=True)
        self._repo, self._path, self._base, self._work = repo, path, base, work
        self._target = base

    def _open_pull(self) -> bool:
        owner = self._repo.split("/", 1)[0]
        pulls = self._github.get_repo(self._repo).get_pulls(state="open", head=f"{owner}:{self._work}")
        return any(True for _ in pulls)

    def read(self) -> Revision:
        with _mapped(f"{self._repo}:{self._path}"):
            self._target = self._work if self._open_pull() else self._base
            contents = self._github.get_repo(self._repo).get_contents(self._path, ref=self._target)
            if isinstance(contents, list):
                raise Conflict(f"{self._path} is a folder")
            return Revision(bytes(contents.decoded_content).decode("utf-8"), str(contents.sha))

    def write(self, text: str, base: Revision, message: str) -> None:
        repository = self._github.get_repo(self._repo)
        with _mapped(f"{self._repo}:{self._path}"):
            proposing = self._target == self._base
            if proposing:
                self._point_work_branch()
            try:
                repository.update_file(self._path, message, text.encode("utf-8"), base.token,
                                       branch=self._work)
            except GithubException as exc:
                if exc.status == 409:
                    raise Conflict(f"{self._path}: changed since it was read") from None
                raise
            if proposing:
                repository.create_pull(title=message, head=self._work, base=self._base,
                                       body="Ticket links for the postmortem's action items.")

    def _point_work_branch(self) -> None:
        """Our branch at the base branch's head: created, or moved there (its old proposal was closed)."""
        repository = self._github.get_repo(self._repo)
        head = repository.get_branch(self._base).commit.sha
        try:
            repository.create_git_ref(f"refs/heads/{self._work}", head)
        except GithubException as exc:
            if exc.status != 422:
                raise
            repository.requester.requestJsonAndCheck(
                "PATCH", f"{repository.url}/git/refs/heads/{self._work}", input={"sha": head, "force": True})

    def comment(self, text: str, base: Revision) -> None:
        # The same place as the branch mode's: a commit comment on the base branch's head.
        with _mapped(f"{self._repo}@{self._base}"):
            repository = self._github.get_repo(self._repo)
            repository.get_commit(repository.get_branch(self._base).commit.sha).create_comment(text)
