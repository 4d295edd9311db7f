"""The Python snippets of the READMEs and of the guide (docs/src) run as
written, and print what their comments say."""

import contextlib
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
READMES = [ROOT / "README.md", ROOT / "bindings-python" / "README.md"] + sorted(
    (ROOT / "docs" / "src").rglob("*.md")
)


def snippets():
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")
        for n, block in enumerate(re.findall(r"^```python\n(.*?)^```$", text, re.S | re.M)):
            yield pytest.param(block, id=f"{readme.relative_to(ROOT).as_posix()}-{n}")


@pytest.mark.parametrize("code", list(snippets()))
def test_readme_snippet_runs(code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<README>", "exec"), {})
    # A `print(...)  # expected` line's comment is what it prints.
    expected = [m.group(1).strip() for m in re.finditer(r"^print\(.*\)\s+#\s*(.*)$", code, re.M)]
    assert out.getvalue().splitlines() == expected


def test_every_readme_has_a_snippet():
    assert len(list(snippets())) >= 2


def test_the_guide_has_python_snippets():
    # the data teams' part: Python, totals, more than two agencies, engines
    pages = {p.id.rsplit("-", 1)[0] for p in snippets()}
    for page in ["data/python.md", "data/totals.md", "data/agencies.md", "data/partitioned.md"]:
        assert f"docs/src/{page}" in pages
