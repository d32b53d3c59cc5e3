#!/usr/bin/env python3
# bench/mkstore.py: writes the records of a large mlreg store directly, as
# store-format.md specifies them, for the listing and start-up benchmarks
# (bench/run scenarios 8 and 9), where registering 100,000 versions one by
# one would take hours.
#
#   python3 bench/mkstore.py STORE versions N [MODEL]   one model, N versions
#   python3 bench/mkstore.py STORE models N             N models, 1 version each
#
# STORE must be a store made by 'mlreg init' (so its format and config files
# are mlreg's own), with no model of the names written here.  What it writes
# (store-format.md sections 1, 2, 4, 5, 6):
#   - one object, objects/XX/YYYY..., the 6 bytes "bench\n", which every
#     version lists as its one file 'weights.bin';
#   - per model, versions/1.json ... versions/N.json, each compact JSON and a
#     newline, with the members mlreg writes in the order it writes them,
#     'parent' the SHA-256 of the previous record's bytes (the id chain);
#   - then model.json, last, with latest_version N and latest_id the id of
#     version N: it is the commit point, so an interrupted build leaves
#     invisible records only, never a store that fsck refuses.
# The caller checks the result with 'mlreg fsck' (bench/run does, and so
# does t/t9100-bench-store.t, so that a change of the record format that the
# builder does not follow fails the test suite, not a benchmark).
#
# Python 3 standard library only.  Memory stays flat: each record is written
# and forgotten, only the previous id is kept.

import hashlib
import json
import os
import sys
import time

CONTENT = b"bench\n"
SHA = hashlib.sha256(CONTENT).hexdigest()


def stamp(t):
    """Returns the RFC 3339 UTC time of T (seconds) with microseconds."""
    us = int(round(t * 1e6))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1000000)) + \
        f".{us % 1000000:06d}Z"


def compact(obj):
    """Returns the bytes of record OBJ as mlreg writes records: compact JSON
    and a newline."""
    return (json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
            + "\n").encode("utf-8")


def write_file(path, data):
    """Writes DATA to PATH through a temporary file renamed into place."""
    tmp = path + ".mkstore-tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def put_object(store):
    """Stores the one object every version lists, if it is not there."""
    d = os.path.join(store, "objects", SHA[:2])
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, SHA[2:])
    if not os.path.exists(p):
        write_file(p, CONTENT)


def version_record(name, n, parent, t):
    """Returns the bytes of version N of model NAME, PARENT its parent id."""
    return compact({
        "model": name, "version": n, "parent": parent,
        "created": stamp(t), "message": f"bench version {n}",
        "size": len(CONTENT),
        "files": [{"path": "weights.bin", "size": len(CONTENT),
                   "sha256": SHA, "mode": "0644"}],
        "framework": None, "metadata": {}, "metrics": {"n": n},
        "hparams": {},
        "provenance": {"user": "bench", "host": "bench", "time": stamp(t),
                       "mlreg_version": "bench/mkstore.py", "git": None},
        "artifacts": [], "signatures": [], "contract": None, "spec": None,
        "introspection": None, "checkpoint": None,
    })


def make_model(store, name, nversions, t0):
    """Writes model NAME with versions 1..NVERSIONS, its record last."""
    mdir = os.path.join(store, "models", name.replace("/", "%2F"))
    if os.path.exists(os.path.join(mdir, "model.json")):
        sys.exit(f"error: model '{name}' already exists in {store}")
    vdir = os.path.join(mdir, "versions")
    os.makedirs(vdir, exist_ok=True)
    parent = None
    t = t0
    for n in range(1, nversions + 1):
        t += 0.001
        rec = version_record(name, n, parent, t)
        with open(os.path.join(vdir, f"{n}.json"), "wb") as f:
            f.write(rec)
        parent = hashlib.sha256(rec).hexdigest()
    write_file(os.path.join(mdir, "model.json"), compact({
        "name": name, "description": f"bench model of {nversions} versions",
        "metadata": {}, "creation_time": stamp(t0),
        "last_updated_time": stamp(t), "latest_version": nversions,
        "latest_id": parent,
    }))


def usage():
    """Prints the usage line and exits with status 2."""
    print("usage: mkstore.py STORE versions N [MODEL] | STORE models N",
          file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) not in (3, 4) or argv[1] not in ("versions", "models"):
        usage()
    store, what = argv[0], argv[1]
    try:
        n = int(argv[2])
    except ValueError:
        usage()
    if n < 1 or (what == "models" and len(argv) == 4):
        usage()
    try:
        with open(os.path.join(store, "format")) as f:
            if f.readline() != "mlreg store format 1\n":
                sys.exit(f"error: {store} is not an mlreg store of format 1")
    except OSError as e:
        sys.exit(f"error: {store} is not an mlreg store ({e.strerror})")
    put_object(store)
    t0 = time.time() - 86400
    if what == "versions":
        make_model(store, argv[3] if len(argv) == 4 else "bench/versions",
                   n, t0)
    else:
        width = max(6, len(str(n)))
        for i in range(1, n + 1):
            make_model(store, f"bench/m{i:0{width}d}", 1, t0 + i * 0.001)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
