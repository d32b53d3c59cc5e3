#!/usr/bin/env python3
"""Forge the records (and objects) of a hostile remote, for the tests.

    forge-remote.py OUTDIR MODEL EDIT [EDIT...]

writes, under OUTDIR, the keys a remote (store-format.md section 10.1)
holds for one model, version K made by the K-th EDIT:

    OUTDIR/models/ENC/versions/K.json   K = 1..number of EDITs
    OUTDIR/models/ENC/model.json        latest_version, latest_id
    OUTDIR/objects/XX/YYYY...           the objects EDITs made with obj()

Each EDIT is python run with r, a well-formed version record of MODEL (one
file, "w.bin", whose object is written), and these helpers:

    obj(data, path="w.bin", mode="0644")  writes data as an object and
                                          returns its files[] entry
    raw = b"..."                          set raw to store exactly these bytes
                                          instead of r (ids still chain)
    compact(doc)                          the bytes mlreg would write for doc
                                          (to edit them: raw = compact(r)...)
    model = {...}                         members to change in model.json
    omit = True                           leave this record out of the
                                          remote (ids still chain over it)

Ids chain as mlreg checks them: r["parent"] is the SHA-256 of the record
before, exactly as written (an EDIT may overwrite it after, to break the
chain on purpose), and model.json's latest_id is the SHA-256 of the last
record.  Records are compact JSON and a newline, as mlreg writes them;
json.dumps escapes nothing beyond what the EDIT put in (ensure_ascii off).

t/lib-hostile.sh pushes OUTDIR to a remote of either kind.
"""
import hashlib
import json
import os
import sys

TIME = "2026-12-01T00:00:00.000000Z"


def compact(doc):
    return (json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
            + "\n").encode("utf-8", "surrogatepass")


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: forge-remote.py OUTDIR MODEL EDIT [EDIT...]")
    out, name, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
    enc = name.replace("/", "%2F")
    vdir = os.path.join(out, "models", enc, "versions")
    os.makedirs(vdir, exist_ok=True)

    def obj(data, path="w.bin", mode="0644"):
        if isinstance(data, str):
            data = data.encode()
        h = hashlib.sha256(data).hexdigest()
        d = os.path.join(out, "objects", h[:2])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, h[2:]), "wb") as f:
            f.write(data)
        return {"path": path, "size": len(data), "sha256": h, "mode": mode}

    parent = None
    model_changes = {}
    for k, code in enumerate(edits, 1):
        f = obj(b"weights %d\n" % k)
        r = {"model": name, "version": k, "parent": parent, "created": TIME,
             "message": "", "size": f["size"], "files": [f],
             "framework": None, "metadata": {}, "metrics": {}, "hparams": {},
             "provenance": {"user": "forger", "host": "forge", "time": TIME,
                            "mlreg_version": "0.1.0", "git": None},
             "artifacts": [], "signatures": [], "contract": None,
             "spec": None, "introspection": None, "checkpoint": None}
        env = {"r": r, "obj": obj, "raw": None, "model": {}, "json": json,
               "compact": compact, "omit": False}
        exec(code, env)
        data = env["raw"] if env["raw"] is not None else compact(env["r"])
        model_changes.update(env["model"])
        if not env["omit"]:
            with open(os.path.join(vdir, "%d.json" % k), "wb") as fh:
                fh.write(data)
        parent = hashlib.sha256(data).hexdigest()

    m = {"name": name, "description": "", "metadata": {},
         "creation_time": TIME, "last_updated_time": TIME,
         "latest_version": len(edits), "latest_id": parent}
    m.update(model_changes)
    with open(os.path.join(out, "models", enc, "model.json"), "wb") as fh:
        fh.write(compact(m))


if __name__ == "__main__":
    main()
