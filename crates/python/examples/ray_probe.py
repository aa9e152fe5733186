"""Probe a list of files with Ray Data: map_batches calls probe_many on each batch.

    python ray_probe.py FILE_LIST [--address ADDRESS]

Without --address, Ray starts a local cluster in this process's machine (local mode).
With --address auto (or ray://HEAD:10001) the same code runs on a cluster: each worker
node needs `pip install pystimpack` and the files at the same paths (a shared file
system, or URLs in a .txt list checked with `check`). Prints one JSON line per file, in
no particular order, then a summary on stderr.
"""

import argparse
import json
import sys

import ray

import pystimpack as sp


def probe_batch(batch):
    results = sp.probe_many(list(batch["path"]), threads=1)
    rows = {"path": [], "record": [], "error": []}
    for path, r in zip(batch["path"], results):
        rows["path"].append(path)
        if isinstance(r, sp.ProbeError):
            rows["record"].append("")
            rows["error"].append(str(r))
        else:
            record = r.to_dict()
            record["issues"] = [i.to_dict() for i in r.issues]
            rows["record"].append(json.dumps(record))
            rows["error"].append("")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("file_list")
    ap.add_argument("--address", default=None)
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args(argv)
    with open(args.file_list, encoding="utf-8") as f:
        paths = [line.strip() for line in f if line.strip()]
    ray.init(address=args.address, include_dashboard=False, log_to_driver=False)
    try:
        ds = ray.data.from_items([{"path": p} for p in paths])
        ds = ds.map_batches(probe_batch, batch_size=args.batch_size, batch_format="numpy")
        errors = 0
        for row in ds.iter_rows():
            if row["error"]:
                errors += 1
                print(json.dumps({"path": row["path"], "error": row["error"]}))
            else:
                record = json.loads(row["record"])
                errors += any(i["severity"] == "error" for i in record["issues"])
                print(row["record"])
        print(f"{len(paths)} files, {errors} with errors", file=sys.stderr)
    finally:
        ray.shutdown()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
