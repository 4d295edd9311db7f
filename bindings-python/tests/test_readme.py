"""The Python snippets of the READMEs run as written, and print what their comments say."""

import contextlib
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
READMES = [ROOT / "README.md", ROOT / "bindings-python" / "README.md"]


def snippets():
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")
        for n, block in enumerate(re.findall(r"^```python\n(.*?)^```$", text, re.S | re.M)):
            yield pytest.param(block, id=f"{readme.parent.name}-{n}")


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
