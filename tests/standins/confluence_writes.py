"""The Confluence Cloud stand-in's write side for the postmortem contract (mixed into ConfluenceStandIn).

Follows developer.atlassian.com (v2): `PUT /wiki/api/v2/pages/{id}` (`id`, `status`, `title`,
`body.representation: storage`, `version.number` which must be the current version plus one, else 409
"Version must be incremented on update"), footer comments (`POST /wiki/api/v2/footer-comments` with
`pageId`; `GET /wiki/api/v2/pages/{id}/footer-comments?body-format=storage`; `PUT
/wiki/api/v2/footer-comments/{id}` with the comment's version plus one, by its author only).
`before_page_put` lets a test land a person's save between our read and our write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.standins.rest_base import Fail, Reply

BOT = "bot"  # the account id /rest/api/user/current answers


class ConfluenceWrites:
    """State and routes of the contract's writes; the host provides pages and `edit`."""

    pages: dict[str, Any]
    _page: Callable[[str], Any]
    edit: Callable[[str, str], int]

    def _init_writes(self) -> None:
        self.footer_comments: list[dict[str, Any]] = []
        self.before_page_put: Callable[[], object] | None = None
        #: Whether our account may update pages (the content permission check's answer).
        self.can_update = True

    def write_routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("PUT", r"/wiki/api/v2/pages/(\d+)", self._put_page),
            ("GET", r"/wiki/api/v2/pages/(\d+)/footer-comments", self._list_comments),
            ("POST", r"/wiki/api/v2/footer-comments", self._create_comment),
            ("PUT", r"/wiki/api/v2/footer-comments/(\d+)", self._update_comment),
            ("POST", r"/wiki/rest/api/content/(\d+)/permission/check", self._permission_check),
        ]

    def add_footer_comment(self, page_id: str, value: str, author: str) -> None:
        self.footer_comments.append({"id": str(500 + len(self.footer_comments)), "pageId": page_id,
                                     "body": value, "version": 1, "author": author})

    def _put_page(self, page_id: str, *, body: bytes, **_: Any) -> Reply:
        data = json.loads(body or b"{}")
        if self.before_page_put is not None:
            hook, self.before_page_put = self.before_page_put, None
            hook()
        page = self._page(page_id)
        number = int((data.get("version") or {}).get("number") or 0)
        if number != page.version + 1:
            raise Fail(409, {"errors": [{"status": 409, "code": "CONFLICT",
                                         "title": "Version must be incremented on update. Current Version "
                                                  f"is: {page.version}"}]})
        value = (data.get("body") or {}).get("value")
        if (data.get("body") or {}).get("representation") != "storage" or not isinstance(value, str):
            raise Fail(400, {"errors": [{"status": 400, "title": "body.representation must be storage"}]})
        self.edit(page_id, value)
        return Reply({"id": page.id, "version": {"number": page.version}})

    def _comment_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        return {"id": comment["id"], "pageId": comment["pageId"],
                "version": {"number": comment["version"], "authorId": comment["author"]},
                "body": {"storage": {"representation": "storage", "value": comment["body"]}}}

    def _list_comments(self, page_id: str, **_: Any) -> Reply:
        self._page(page_id)
        found = [self._comment_json(c) for c in self.footer_comments if c["pageId"] == page_id]
        return Reply({"results": found, "_links": {}})

    def _create_comment(self, *, body: bytes, **_: Any) -> Reply:
        data = json.loads(body or b"{}")
        self._page(str(data.get("pageId")))
        self.add_footer_comment(str(data["pageId"]), str((data.get("body") or {}).get("value") or ""), BOT)
        return Reply(self._comment_json(self.footer_comments[-1]))

    def _update_comment(self, comment_id: str, *, body: bytes, **_: Any) -> Reply:
        data = json.loads(body or b"{}")
        comment = next((c for c in self.footer_comments if c["id"] == comment_id), None)
        if comment is None or comment["author"] != BOT:
            raise Fail(404, {"errors": [{"status": 404, "title": "Not found"}]})
        if int((data.get("version") or {}).get("number") or 0) != comment["version"] + 1:
            raise Fail(409, {"errors": [{"status": 409, "title": "Version must be incremented"}]})
        comment["body"], comment["version"] = str((data.get("body") or {}).get("value") or ""), \
            comment["version"] + 1
        return Reply(self._comment_json(comment))

    def _permission_check(self, page_id: str, *, body: bytes, **_: Any) -> Reply:
        data = json.loads(body or b"{}")
        self._page(page_id)
        if data.get("operation") not in ("read", "update", "delete"):
            raise Fail(400, {"message": "operation must be read, update or delete"})
        allowed = data["operation"] == "read" or self.can_update
        return Reply({"hasPermission": allowed, "errors": []})
