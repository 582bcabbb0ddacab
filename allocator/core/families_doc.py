"""The family table of docs/model.md §5 written from :data:`allocator.core.families.FAMILIES`
(``python -m allocator.core.families_doc docs/model.md`` regenerates it; a test keeps it current).
"""

from __future__ import annotations

from allocator.core.families import FAMILIES

__all__ = ["DOCS_END", "DOCS_START", "markdown_table", "with_table"]

SENSE_TEXT = {"=": "=", "<=": "≤", ">=": "≥", "range": "≤ and ≥"}


def markdown_table() -> str:
    """The Markdown table of the families for ``docs/model.md`` (kept current by a test)."""
    head = (
        "| family | constraint | for | rows indexed by | present when | `highs` backend | relaxation penalty |"
        " what it means for a programme |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for f in FAMILIES:
        penalty = "never (a definition)" if f.penalty is None else f"{f.penalty:g}"
        form = "rows" if f.highs == "rows" else f"column bounds of `{f.bound_of}`"
        lines.append(
            f"| `{f.name}` | {f.formula} | {f.per} | {', '.join(f.keys)} | {f.present} | {form} | {penalty} |"
            f" {f.meaning} |"
        )
    return head + "\n".join(lines) + "\n"


DOCS_START, DOCS_END = "<!-- families:start -->\n", "<!-- families:end -->\n"


def with_table(text: str) -> str:
    """``text`` (docs/model.md) with the generated table between its two markers."""
    head, _, rest = text.partition(DOCS_START)
    _, found, tail = rest.partition(DOCS_END)
    if not found:
        raise ValueError("the markers of the family table are missing")
    return head + DOCS_START + markdown_table() + DOCS_END + tail


if __name__ == "__main__":  # python -m allocator.core.families_doc docs/model.md: regenerate the table
    import sys
    from pathlib import Path

    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
