"""Type stubs of pystimpack (the module itself is compiled Rust: pystimpack._native)."""

import os
import datetime
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
    def audio_codec(self) -> Optional[str]:
        """Video: the codec of its first audio track, ffprobe-style (`aac`, `opus`), or None."""
    @property
    def profile(self) -> Optional[str]:
        """Video: the codec profile (`High`, `Main 10`, ...), or None."""
    @property
    def pixel_format(self) -> Optional[str]:
        """Video: the pixel format, ffprobe-style (`yuv420p`, ...), or None."""
    @property
    def variable_frame_rate(self) -> Optional[bool]:
        """Video: whether its frame durations vary, or None when not read."""
    @property
    def color(self) -> Optional[str]:
        """Image: the colour type (`rgb`, `palette`, `cmyk`, ...), or None."""
    @property
    def bit_depth(self) -> Optional[int]:
        """Image: bits per sample, or None."""
    @property
    def icc_profile(self) -> Optional[str]:
        """Image: the embedded ICC profile's description, or None."""
    @property
    def orientation(self) -> Optional[int]:
        """Image: the EXIF orientation (1 is upright), or None."""
    @property
    def loudness_lufs(self) -> Optional[float]:
        """`analyze=True`: integrated loudness (BS.1770-4, LUFS), or None."""
    @property
    def true_peak_dbtp(self) -> Optional[float]:
        """`analyze=True`: highest true peak (dBTP), or None."""
    @property
    def sample_peak_dbfs(self) -> Optional[float]:
        """`analyze=True`: highest sample magnitude (dBFS), or None."""
    @property
    def clipped_samples(self) -> Optional[int]:
        """`analyze=True`: samples in runs of 3 or more at full scale, or None."""
    @property
    def leading_silence_s(self) -> Optional[float]:
        """`analyze=True`: seconds before the first sample above -60 dBFS, or None."""
    @property
    def trailing_silence_s(self) -> Optional[float]:
        """`analyze=True`: seconds after the last sample above -60 dBFS, or None."""
    @property
    def dc_offset(self) -> Optional[float]:
        """`analyze=True`: the largest channel mean, as a share of full scale, or None."""
    @property
    def dual_mono(self) -> Optional[bool]:
        """`analyze=True`: whether every channel equals the first (mono stored as stereo), or None."""
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
    platform: Optional[str] = None,
    analyze: bool = False,
    target_lufs: Optional[float] = None,
    loudness_tolerance: float = 1.0,
    max_true_peak: float = -1.0,
    silence_tolerance: float = 0.1,
    max_dc_offset: float = 0.01,
    online: bool = False,
    origin: Optional[str] = None,
    valid_for: Optional[datetime.timedelta] = None,
    max_download: Optional[int] = None,
    min_rate: Optional[int] = None,
    allow_private: bool = False,
    connections: Optional[int] = None,
    per_host: Optional[int] = None,
) -> Report:
    """Checks a folder, .zip or .txt URL list, like ``stimpack check``.

    The keywords are the CLI's flags: ``platform`` ("mabyduck", "prolific", "datature",
    "coactive") applies that platform's rules; ``analyze=True`` measures decoded audio
    (loudness, peaks, silence, ...) with the given thresholds; ``online=True`` reads the files
    of a URL list over HTTP (``max_download`` and ``min_rate`` in bytes and bytes per second,
    ``valid_for`` a timedelta, ``allow_private`` for a local server). ``None`` is the CLI's
    default.

    Raises FileNotFoundError for a missing input, InputError for an unreadable one, ValueError
    for a wrong keyword value.
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
    analyze: bool = False,
    target_lufs: Optional[float] = None,
    loudness_tolerance: float = 1.0,
    max_true_peak: float = -1.0,
    silence_tolerance: float = 0.1,
    max_dc_offset: float = 0.01,
    online: bool = False,
    origin: Optional[str] = None,
    valid_for: Optional[datetime.timedelta] = None,
    max_download: Optional[int] = None,
    min_rate: Optional[int] = None,
    allow_private: bool = False,
    connections: Optional[int] = None,
    per_host: Optional[int] = None,
) -> Manifest:
    """Checks and, without errors, writes the archive and its manifest, like ``stimpack pack``.

    ``analyze`` and ``online`` and their settings are ``check``'s. (A platform's export files,
    ``stimpack pack --platform``, are the CLI's alone for now.)

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
