"""stimpack from Python: check and pack media datasets for listening tests.

Everything here is the Rust library ``stimpack-core`` (the ``stimpack`` command's own code),
compiled into ``pystimpack._native``; this file only re-exports it.
"""

from ._native import (
    DatasetError,
    InputError,
    Issue,
    Manifest,
    PackError,
    ProbeError,
    Report,
    Stimulus,
    __version__,
    analyze_ratings,
    check,
    pack,
    probe,
    probe_many,
)

__all__ = [
    "DatasetError",
    "InputError",
    "Issue",
    "Manifest",
    "PackError",
    "ProbeError",
    "Report",
    "Stimulus",
    "__version__",
    "analyze_ratings",
    "check",
    "pack",
    "probe",
    "probe_many",
]
