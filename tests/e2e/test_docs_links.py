"""Every relative link in README.md and docs/*.md points at a file that exists, and every
`#anchor` at a heading of its target; the README stays short enough to read in one
sitting, with the six sections a reader looks for."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 450
REQUIRED_SECTIONS = (
    "Architecture overview",
    "Event flow",
    "CQRS design",
    "Read model design",
    "Trade-offs and limitations",
    "Future improvements",
)

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
COMMENT = re.compile(r"<!--.*?-->", re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"", re.I)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:, …


def _prose(text: str) -> str:
    """The text links and headings are read from: no code blocks, no HTML comments."""
    return COMMENT.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: link text kept, lower case, punctuation dropped,
    spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor a document offers: its headings (with GitHub's -1, -2 suffixes for
    repeats) and explicit <a id> / <a name> targets."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    prose = _prose(text)
    for heading in HEADING.findall(prose):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found | set(HTML_ANCHOR.findall(prose))


def broken_links(document: Path, text: str) -> list[str]:
    """The relative links of one document that do not resolve, as readable lines."""
    broken = []
    for target in LINK.findall(INLINE_CODE.sub("", _prose(text))):
        if EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve()
        if path and not resolved.exists():
            broken.append(f"{document.name}: {target} (no such file)")
            continue
        if not anchor or (path and resolved.suffix != ".md"):
            continue
        if anchor not in anchors(resolved.read_text() if path else text):
            broken.append(f"{document.name}: {target} (no such heading)")
    return broken


def test_slugs_follow_github() -> None:
    assert slug("1. State and events change together, or not at all") == (
        "1-state-and-events-change-together-or-not-at-all"
    )
    assert slug("A message's life in the outbox") == "a-messages-life-in-the-outbox"
    assert slug("Watching the stream: `tickets events tail`") == (
        "watching-the-stream-tickets-events-tail"
    )
    assert anchors("## Logs\n```sh\n# not a heading\n```\n## Logs\n") == {"logs", "logs-1"}


def test_a_broken_link_or_anchor_is_found(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Present\n")
    page = tmp_path / "page.md"
    text = (
        "[ok](other.md#present) [ok](#here) [web](https://example.org/x#y)\n"
        "## Here\n[gone](missing.md) [bad](other.md#absent) [bad](#nowhere)\n"
        "`[code](not-a-link.md)`\n```\n[fenced](not-a-link.md)\n```\n"
    )
    assert broken_links(page, text) == [
        "page.md: missing.md (no such file)",
        "page.md: other.md#absent (no such heading)",
        "page.md: #nowhere (no such heading)",
    ]


def test_every_relative_link_and_anchor_resolves() -> None:
    broken = [line for doc in DOCUMENTS for line in broken_links(doc, doc.read_text())]
    assert broken == []


def test_readme_fits_in_one_sitting_with_the_six_sections() -> None:
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= README_MAX_LINES, "move detail to docs/ and link it"
    sections = set(re.findall(r"^## (.+?)\s*$", text, re.M))
    assert [s for s in REQUIRED_SECTIONS if s not in sections] == []
