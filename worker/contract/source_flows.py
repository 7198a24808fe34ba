"""The contract's entry points for the GitLab and Notion sources: the one preview, and their writers.

`preview_gitlab` keeps one note on an open merge request that touches the configured folder;
`preview_notion` keeps one comment on a page whose status is the review value. Both build the preview
from a dry-run plan (worker.contract.flows), so no ticket exists before approval. `vendor_writer` gives
write-back the guarded writer of a GitLab file (files API, `last_commit_id`) or a Notion page (block
updates after a re-read). Each is a no-op unless the source and the team both turn the feature on.
"""

from __future__ import annotations

from config.settings import Settings
from connectors.contract_confluence import MARKER, ConfluencePageWriter, ConfluenceReview, storage_paragraphs
from connectors.contract_gdocs import GoogleDocReview, GoogleDocWriter
from connectors.contract_gitlab import GitLabFileWriter, GitLabReview
from connectors.contract_notion import NotionPageWriter, NotionReview
from connectors.sources import ConfluencePage, GitLabFile, GoogleDoc, NotionPage, SourceRef, stable_id
from connectors.sources.confluence import ConfluenceReader
from connectors.sources.gdocs import DriveReader
from connectors.sources.gitlab import GitLabReader
from connectors.sources.notion import NotionReader, build_client, status_value
from worker.contract import render
from worker.contract.planned import preview_one, previews_of
from worker.contract.preview import Preview
from worker.contract.writeback import DocumentWriter
from worker.sync import pipeline


def preview_gitlab(settings: Settings, project: str, iid: int) -> tuple[str, tuple[tuple[str, Preview], ...],
                                                                         str]:
    """Post or edit the one preview note of an open merge request; (action, previews, body)."""
    source = settings.sources.gitlab
    if source is None or not source.contract.preview or not source.has_project(project):
        return "off: previews are not enabled for this project", (), ""
    reader = GitLabReader(settings)
    request = reader.merge_request(source.project, iid)
    if request.merged or request.sha is None:
        return "off: the merge request is not open", (), ""
    sha = request.sha
    previews = previews_of(settings, request.paths, covers=source.covers,
                           ref_for=lambda path: GitLabFile(source.project, sha, path),
                           fetch=reader.fetch, team=source.team)
    if not previews:
        return "off: no postmortem of a team with previews on", (), ""
    body = render.gitlab_markdown(previews)
    review = GitLabReview(settings, source.project, connection=reader.connection)
    return review.upsert_note(iid, body, render.GITHUB_MARKER), tuple(previews), body


def preview_notion(settings: Settings, page: str) -> tuple[str, tuple[tuple[str, Preview], ...], str]:
    """Post or edit the one preview comment of a page in the review status; (action, previews, body)."""
    source = settings.sources.notion
    if source is None or not source.contract.preview:
        return "off: previews are not enabled for Notion", (), ""
    client = build_client(settings)
    reader = NotionReader(settings, client=client)
    ref = NotionPage(page)
    state = reader._call(str(ref), lambda c: c.pages.retrieve(page))
    if (status_value(state, source.status_property) or "").casefold() \
            != source.contract.review_status.casefold():
        return "off: the page is not in the review status", (), ""
    document = reader.fetch(ref)
    preview = preview_one(settings, document.content, source=str(ref), identity=stable_id(ref),
                          team=source.team, filename=document.filename)
    if preview is None:
        return "off: the team has previews off", (), ""
    previews = ((document.title or page, preview),)
    body = render.plain(previews)
    action = NotionReview(settings, page, client=client).upsert_comment(body, render.PLAIN_MARKER)
    return action, previews, body


def vendor_writer(settings: Settings, ref: SourceRef) -> tuple[DocumentWriter, int, str] | None:
    """The guarded writer of a GitLab file or Notion page, its attempt bound and file name; None when
    write-back is off for it (or it is no such source)."""
    gitlab, notion = settings.sources.gitlab, settings.sources.notion
    if isinstance(ref, GitLabFile) and gitlab is not None and gitlab.contract.write_back \
            and gitlab.has_project(ref.project) and gitlab.covers(ref.path):
        branch = gitlab.branch or GitLabReader(settings).default_branch(gitlab.project)
        work = None
        if gitlab.contract.write_mode == "pull":
            work = f"followthrough/links/{pipeline.postmortem_key(stable_id(ref))}"
        writer = GitLabFileWriter(settings, gitlab.project, ref.path, branch, work=work)
        return writer, gitlab.contract.max_attempts, ref.path.rsplit("/", 1)[-1]
    if isinstance(ref, NotionPage) and notion is not None and notion.contract.write_back:
        return NotionPageWriter(settings, ref.page), notion.contract.max_attempts, f"{ref.page}.md"
    confluence = settings.sources.confluence
    if isinstance(ref, ConfluencePage) and confluence is not None and confluence.contract.write_back \
            and confluence.edition == "cloud":
        page = ConfluencePageWriter(settings, confluence, ref.page_id)
        return page, confluence.contract.max_attempts, f"confluence-{ref.page_id}.xhtml"
    gdocs = settings.sources.gdocs
    if isinstance(ref, GoogleDoc) and gdocs is not None and gdocs.contract.write_back:
        # The document is read as lines (one per paragraph) and parsed as Markdown for write-back.
        return GoogleDocWriter(settings, ref.file_id), gdocs.contract.max_attempts, f"gdocs-{ref.file_id}.md"
    return None


def preview_gdocs(settings: Settings, file_id: str) -> tuple[str, tuple[tuple[str, Preview], ...], str]:
    """Post or edit the one preview Drive comment of a document in a review folder."""
    source = settings.sources.gdocs
    if source is None or not source.contract.preview or not source.contract.review_folders:
        return "off: previews are not enabled for Google Docs", (), ""
    reader = DriveReader(settings, source)
    meta = reader.metadata(file_id)
    folders = set(meta.get("parents") or ())
    if meta.get("trashed") or not folders & set(source.contract.review_folders):
        return "off: the document is not in a review folder", (), ""
    export = reader.drive().files().export(fileId=file_id, mimeType="text/html")
    html = reader._run(f"gdocs:{file_id}", export)
    content = html.encode("utf-8") if isinstance(html, str) else bytes(html)
    ref = GoogleDoc(file_id)
    preview = preview_one(settings, content, source=str(ref), identity=stable_id(ref), team=source.team,
                          filename=f"gdocs-{file_id}.html")
    if preview is None:
        return "off: the team has previews off", (), ""
    previews = ((str(meta.get("name") or file_id), preview),)
    body = render.plain(previews)
    return GoogleDocReview(settings, file_id).upsert_comment(body, render.PLAIN_MARKER), previews, body


def preview_confluence(settings: Settings, page_id: str) -> tuple[str, tuple[tuple[str, Preview], ...],
                                                                      str]:
    """Post or edit the one preview footer comment of a page carrying the review label (Cloud)."""
    source = settings.sources.confluence
    if source is None or not source.contract.preview or source.edition != "cloud":
        return "off: previews are not enabled for Confluence Cloud", (), ""
    reader = ConfluenceReader(settings, source)
    page = reader._read_cloud(page_id)
    if source.contract.review_label not in page.labels or source.space(page.space_key) is None:
        return "off: the page is not under review in a configured space", (), ""
    ref = ConfluencePage(page_id)
    preview = preview_one(settings, page.body.encode("utf-8"), source=str(ref), identity=stable_id(ref),
                          team=source.team, filename=f"confluence-{page_id}.xhtml")
    if preview is None:
        return "off: the team has previews off", (), ""
    previews = ((page.title or page_id, preview),)
    body = MARKER + storage_paragraphs(render.plain(previews))
    action = ConfluenceReview(settings, source, page_id, reader=reader).upsert_comment(body)
    return action, previews, body
