"""Executes a notebook top to bottom (nbclient) and fails on the first cell
that raises; prints each cell's standard output. CI runs the two_agencies
notebook with it.

usage: python examples/python/run_notebook.py [NOTEBOOK]
"""

import pathlib
import sys

import nbformat
from nbclient import NotebookClient


def main() -> int:
    here = pathlib.Path(__file__).resolve().parent
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here / "two_agencies.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("name") == "stdout":
                sys.stdout.write(out["text"])
    print(f"notebook {path.name}: all {sum(c.cell_type == 'code' for c in nb.cells)} code cells ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
