"""The examples that ship inside the package: instances, templates, model files, grids.

They are package resources under ``allocator/examples/`` (read with :mod:`importlib.resources`),
copies of the repository's ``instances/`` and ``models/`` made by ``make examples``
(:func:`sync_examples`); a test checks the two agree. A shipped file can be named wherever a
path is accepted::

    allocator solve england-regions-2025 --model equity-first
    allocator.solve("england-regions-2025", "equity-first")

A path always wins over a name: an existing file or folder is read as it is; only a reference
that is not an existing path is looked up among the examples' names (:func:`resolve`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

__all__ = [
    "INSTANCE_KINDS",
    "KINDS",
    "Example",
    "ExampleError",
    "copy_example",
    "example",
    "examples",
    "examples_root",
    "not_found",
    "resolve",
    "sync_examples",
]

# (folder under instances/ or models/, file pattern, kind): the repository's shipped files,
# mirrored to the same relative paths under allocator/examples/.
SOURCES = (
    ("instances", "england-*.json", "instance"),
    ("instances", "template*.xlsx", "template"),
    ("instances/toy", "*.json", "toy"),
    ("instances/infeasible", "*.json", "infeasible"),
    ("instances/apportion", "*.csv", "apportionment"),
    ("models", "*.toml", "model"),
    ("models/grids", "*.toml", "grid"),
    ("models/ranges", "*.toml", "ranges"),  # ranges of uncertain rates for `allocator evaluate`
)
KINDS = tuple(dict.fromkeys(kind for _, _, kind in SOURCES))
INSTANCE_KINDS = ("instance", "template", "toy", "infeasible")
"""The kinds :func:`allocator.load_instance` (and every command taking an instance) accepts by name."""


class ExampleError(ValueError):
    """An example name that is not shipped, or a copy that would overwrite a file."""


@dataclass(frozen=True)
class Example:
    """One shipped file.

    Attributes
    ----------
    name : str
        The file name without its suffix (``england-regions-2025``), unique among all examples.
    kind : str
        One of :data:`KINDS`: instance, template, toy, infeasible, apportionment, model, grid.
    path : pathlib.Path
        Where the installed package keeps it (read it, do not edit it: copy it out first).
    """

    name: str
    kind: str
    path: Path

    @property
    def relative(self) -> str:
        """Its path under ``allocator/examples/``, the same as in the repository."""
        return self.path.relative_to(examples_root()).as_posix()


def examples_root() -> Path:
    """The folder of the packaged examples (``allocator/examples`` in the installed package)."""
    root = files("allocator").joinpath("examples")
    if not isinstance(root, Path):  # a package imported from a zip file: no real folder to read
        raise ExampleError("the shipped examples need the package installed as files, not inside a zip file")
    return root


def examples(kinds: tuple[str, ...] | None = None) -> list[Example]:
    """Every shipped example (of the given kinds), in the order of :data:`KINDS`, then by name.

    Parameters
    ----------
    kinds : tuple of str, optional
        Only these kinds (e.g. :data:`INSTANCE_KINDS`); all kinds by default.

    Returns
    -------
    list of Example
    """
    root = examples_root()
    found = [
        Example(p.stem, kind, p)
        for folder, pattern, kind in SOURCES
        if kinds is None or kind in kinds
        for p in sorted((root / folder).glob(pattern))
        if p.is_file()
    ]
    return found


def example(name: str, kinds: tuple[str, ...] | None = None) -> Example:
    """The shipped example called ``name``; :class:`ExampleError` listing the known names if none is."""
    for e in examples(kinds):
        if e.name == name:
            return e
    raise ExampleError(f"{name}: {not_found(name, kinds)}")


def _names(kinds: tuple[str, ...] | None) -> str:
    return ", ".join(e.name for e in examples(kinds))


def not_found(ref: str | Path, kinds: tuple[str, ...] | None = None) -> str:
    """The message for a reference that is neither an existing path nor a shipped name:
    ``"no such file or folder"``, with the known names of the kinds when ``ref`` looks like a name."""
    text = str(ref)
    if "/" in text or "\\" in text:
        return "no such file or folder"
    what = "example" if not kinds else "instance" if set(kinds) <= set(INSTANCE_KINDS) else " or ".join(kinds)
    return f"no such file or folder, nor a shipped {what} (allocator examples lists them: {_names(kinds)})"


def resolve(ref: str | Path, kinds: tuple[str, ...] | None = None) -> Path:
    """A path to read for ``ref``: ``ref`` itself when it exists (a path always wins), else the
    shipped example of that name and kind, else ``ref`` unchanged (the caller reports it missing,
    with :func:`not_found`).

    Parameters
    ----------
    ref : str or pathlib.Path
        A path, or an example's name (``england-regions-2025``, ``equity-first``).
    kinds : tuple of str, optional
        The kinds a name may have here (:data:`INSTANCE_KINDS` where an instance is read).
    """
    path = Path(ref)
    if path.exists() or path.is_symlink():
        return path
    text = str(ref)
    if "/" in text or "\\" in text or not text:
        return path
    try:
        roots = examples(kinds)
    except ExampleError:
        return path
    return next((e.path for e in roots if e.name == text), path)


def copy_example(name: str, folder: str | Path) -> Path:
    """Write the shipped example ``name`` into ``folder`` (made if missing) to edit it.

    Returns
    -------
    pathlib.Path
        The copy. :class:`ExampleError` if the name is unknown or the file is already there.
    """
    e = example(name)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ExampleError(f"{folder}: exists and is not a folder")
    target = folder / e.path.name
    if target.exists() or target.is_symlink():
        raise ExampleError(f"{target}: already exists (copy into another folder, or remove it first)")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(e.path, target)
    return target


def sync_examples(repo: str | Path) -> list[Path]:
    """Copy the repository's shipped files into its ``allocator/examples/`` (``make examples``),
    removing packaged copies whose source is gone. Returns the files written.

    Parameters
    ----------
    repo : str or pathlib.Path
        The repository's root (the folder holding ``instances/``, ``models/`` and ``allocator/``).
    """
    repo = Path(repo)
    dest = repo / "allocator" / "examples"
    written = []
    for folder, pattern, _ in SOURCES:
        for old in (dest / folder).glob(pattern):
            old.unlink()
        for src in sorted((repo / folder).glob(pattern)):
            if src.is_file():
                (dest / folder).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest / folder / src.name)
                written.append(dest / folder / src.name)
    return written
