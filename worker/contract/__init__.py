"""The postmortem as the contract: a preview of what will be tracked, and the ticket links written back.

`lines` reads the raw text into lines and table cells (never re-rendered), `locate` finds each item's line,
`preview` builds the source-independent preview, `render` writes it as Markdown or Jira wiki, `links`
edits an item's line to carry its ticket link, `writeback` runs the guarded read-apply-write loop over a
per-source `DocumentWriter`, and `flows` wires those to the GitHub and Jira sources.
"""
