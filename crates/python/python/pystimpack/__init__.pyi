"""Type stubs of pystimpack (the module itself is compiled Rust: pystimpack._native)."""

import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

__version__: str

StrPath = Union[str, "os.PathLike[str]"]

class InputError(ValueError):
    """The input exists but cannot be read as a dataset or a media file."""

class DatasetError(Exception):
    """pack refused the dataset because it has errors; nothing was written."""

    report: Report

class PackError(Exception):
    """pack could not write its output, or the options do not fit the input."""

class ProbeError(Exception):
    """A path given to probe_many that is not a readable file (returned, not raised)."""

    path: str

class Issue:
    """A finding: an error or warning, its code, where, and what to do."""

    @property
    def severity(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def path(self) -> Optional[str]: ...
    @property
    def line(self) -> Optional[int]: ...
    @property
    def message(self) -> str: ...
    @property
    def paths(self) -> List[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...

class Stimulus:
    """One stimulus (a file or URL) and what was read from it."""

    @property
    def path(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def condition(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def media(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def codec(self) -> Optional[str]: ...
    @property
    def bytes(self) -> Optional[int]: ...
    @property
    def duration_s(self) -> Optional[float]: ...
    @property
    def sample_rate(self) -> Optional[int]: ...
    @property
    def channels(self) -> Optional[int]: ...
    @property
    def width(self) -> Optional[int]: ...
    @property
    def height(self) -> Optional[int]: ...
    @property
    def fps(self) -> Optional[float]: ...
    @property
    def fragmented(self) -> Optional[bool]: ...
    @property
    def has_audio(self) -> Optional[bool]: ...
    @property
    def url(self) -> Optional[str]: ...
    @property
    def issues(self) -> Optional[List[Issue]]:
        """probe/probe_many: the file's own findings; None for a report's stimuli."""
    @property
    def ok(self) -> Optional[bool]:
        """probe/probe_many: no finding is an error; None for a report's stimuli."""
    def to_dict(self) -> Dict[str, Any]: ...

class Report:
    """The result of checking one input: what ``stimpack check --json`` prints."""

    @property
    def input(self) -> str: ...
    @property
    def input_kind(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def summary(self) -> Dict[str, Any]: ...
    @property
    def groups(self) -> List[Dict[str, Any]]: ...
    @property
    def stimuli(self) -> List[Stimulus]:
        """Every stimulus of every group, in group then path order."""
    @property
    def issues(self) -> List[Issue]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str:
        """The text ``stimpack check --json`` prints for this report."""

class Manifest:
    """What pack wrote: the manifest beside the archive."""

    @property
    def schema_version(self) -> int: ...
    @property
    def tool(self) -> str: ...
    @property
    def created(self) -> Optional[str]: ...
    @property
    def input_kind(self) -> str: ...
    @property
    def archive(self) -> Dict[str, Any]: ...
    @property
    def summary(self) -> Dict[str, Any]: ...
    @property
    def groups(self) -> List[Dict[str, Any]]: ...
    @property
    def files(self) -> List[Dict[str, Any]]: ...
    @property
    def stimuli(self) -> List[Stimulus]: ...
    @property
    def sha256(self) -> Dict[str, Optional[str]]: ...
    @property
    def issues(self) -> List[Issue]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str:
        """The manifest file's text, as pack writes it."""

def check(
    path: StrPath,
    *,
    experiment: Optional[str] = None,
    reference: str = "reference",
    anchors: Sequence[str] = (),
    strict: bool = False,
    decode: bool = False,
    threads: Optional[int] = None,
) -> Report:
    """Checks a folder, .zip or .txt URL list, like ``stimpack check``.

    Raises FileNotFoundError for a missing input, InputError for an unreadable one.
    """

def pack(
    path: StrPath,
    output: StrPath,
    *,
    manifest: Optional[StrPath] = None,
    force: bool = False,
    compress: bool = False,
    experiment: Optional[str] = None,
    reference: str = "reference",
    anchors: Sequence[str] = (),
    strict: bool = False,
    decode: bool = False,
    threads: Optional[int] = None,
    source_date_epoch: Optional[int] = None,
) -> Manifest:
    """Checks and, without errors, writes the archive and its manifest, like ``stimpack pack``.

    Raises DatasetError (with ``.report``) when the dataset has errors, FileExistsError when
    the output exists without ``force``, PackError when the output cannot be written.
    """

def probe(path: StrPath) -> Stimulus:
    """Reads one media file: its readings, and its own findings in ``issues``."""

def probe_many(paths: Sequence[StrPath], threads: Optional[int] = None) -> List[Union[Stimulus, ProbeError]]:
    """probe() on many files in parallel; one item per path, in order."""

def analyze_ratings(
    ratings: Iterable[Mapping[str, Any]],
    *,
    type: str = "mushra",
    experiment: str = "",
    screening: bool = True,
    mid_anchors: Optional[Sequence[str]] = None,
) -> Dict[str, Any]:
    """The statistics of ``stimpack results --json`` over rating rows (``rater_id``,
    ``slate_id``, ``source``, ``condition``, optional ``role``, ``score``): a dict with
    ``conditions``, ``by_source`` and ``excluded_raters`` as lists of plain rows."""
