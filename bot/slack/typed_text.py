"""Text as Slack sends it -> text as the person typed it.

Slack escapes the `&`, `<` and `>` a person types as `&amp;`, `&lt;` and `&gt;` in
message and slash-command text (its own markup — mentions, links, `<!channel>` —
keeps real angle brackets). We store what the person typed; every renderer escapes
again on the way out, so "A & B" reaches the agent as "A & B", not "A &amp; B", and
markup a person sent arrives as harmless text.
"""

from __future__ import annotations


def typed(text: str) -> str:
    """Undo Slack's escaping of `&`, `<` and `>` (the ampersand last)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
