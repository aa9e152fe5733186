"""Probe a list of files with a multiprocessing.Pool: one probe_many per chunk of paths.

    python multiprocessing_probe.py FILE_LIST [PROCESSES]

FILE_LIST has one path per line. Prints one JSON line per file (its record, or its error),
in the list's order, then a summary on stderr. Each process probes its chunk with all its
cores; Stimulus objects come back through pickle.
"""

import json
import multiprocessing
import sys

import pystimpack as sp

CHUNK = 256


def probe_chunk(paths):
    # One thread per process: the pool already gives each core a process.
    return sp.probe_many(paths, threads=1)


def main(list_file, processes=None):
    with open(list_file, encoding="utf-8") as f:
        paths = [line.strip() for line in f if line.strip()]
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    total = errors = 0
    seconds = 0.0
    with multiprocessing.Pool(processes) as pool:
        for results in pool.imap(probe_chunk, chunks):
            for r in results:
                total += 1
                if isinstance(r, sp.ProbeError):
                    errors += 1
                    print(json.dumps({"path": r.path, "error": str(r)}))
                    continue
                if not r.ok:
                    errors += 1
                seconds += r.duration_s or 0.0
                record = r.to_dict()
                record["issues"] = [i.to_dict() for i in r.issues]
                print(json.dumps(record))
    print(f"{total} files, {errors} with errors, {seconds:.1f} s of media", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None))
