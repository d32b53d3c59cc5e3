#!/usr/bin/env python3
"""JSON checks for mlreg's test scripts (called by the json_* functions of
t/lib.sh; python's json module is all it needs).

    lib-json.py get FILE EXPR            print EXPR of the document d
    lib-json.py assert FILE EXPR...      each EXPR must be true
    lib-json.py equal FILE JSON          the document equals JSON
    lib-json.py schema KIND FILE [EXPR]  check against mlreg's JSON schema
    lib-json.py edit FILE CODE           run CODE on d, write d back
    lib-json.py batch FILE CMD ARG... [-- CMD ARG...]...
                                         get, assert, equal and schema (its
                                         KIND and EXPR, without FILE) on the
                                         one document, in order, stopping
                                         at the first that fails with its
                                         status: the same as each alone
                                         chained with &&, in one start-up

FILE "-" is stdin.  EXPR and CODE are python, with d the document and the
helpers below (hex64, hex40, rfc3339, isint, isstr, sha256_file,
mode_of).  Strings print raw, anything else as compact JSON with sorted
keys.  Failures exit 1 and say why on stderr.
"""
import json
import os
import re
import sys

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def hex64(s):
    return isinstance(s, str) and re.fullmatch(r"[0-9a-f]{64}", s) is not None


def hex40(s):
    return isinstance(s, str) and re.fullmatch(r"[0-9a-f]{40}", s) is not None


def rfc3339(s):
    return isinstance(s, str) and RFC3339.match(s) is not None


def isint(x):
    return isinstance(x, int) and not isinstance(x, bool)


def isstr(x):
    return isinstance(x, str)


def sha256_file(path):
    import hashlib  # here: loading OpenSSL is most of a start-up
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def mode_of(path):
    return "%04o" % (os.stat(path).st_mode & 0o7777)


def no_duplicates(pairs):
    """An object_pairs_hook: JSON that mlreg prints never repeats a key."""
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate key %s" % json.dumps(k))
        seen[k] = v
    return seen


def load(path):
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except ValueError as e:
        sys.stderr.write("lib-json: %s is not JSON: %s\n" % (path, e))
        sys.stderr.write("".join("| " + l + "\n" for l in text.splitlines()))
        sys.exit(1)


def show(v):
    if isinstance(v, str):
        return v
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def env(d):
    return {"d": d, "hex64": hex64, "hex40": hex40, "rfc3339": rfc3339,
            "isint": isint, "isstr": isstr, "json": json,
            "sha256_file": sha256_file, "mode_of": mode_of}


class Checker:
    def __init__(self):
        self.errors = []

    def err(self, where, msg):
        self.errors.append("%s: %s" % (where, msg))

    def keys(self, where, obj, want):
        if not isinstance(obj, dict):
            self.err(where, "not an object: %s" % show(obj))
            return False
        for k in sorted(set(want) - set(obj)):
            self.err(where, "missing field '%s'" % k)
        # Fields beyond the spec's are allowed (later features add some),
        # but named, for -v.
        for k in sorted(set(obj) - set(want)):
            sys.stderr.write("json_schema: note: %s: extra field '%s'\n"
                             % (where, k))
        return True

    def check(self, where, ok, what, value):
        if not ok:
            self.err(where, "%s, got %s" % (what, show(value)))

    def model(self, where, m, described):
        want = ["name", "description", "metadata", "creation_time",
                "last_updated_time", "latest_version"]
        if described:
            want.append("version")
        if not self.keys(where, m, want):
            return
        g = m.get
        self.check(where + ".name", isstr(g("name")) and g("name") != "",
                   "a non-empty string", g("name"))
        self.check(where + ".description", isstr(g("description")),
                   "a string", g("description"))
        self.check(where + ".metadata", isinstance(g("metadata"), dict),
                   "an object", g("metadata"))
        for k in ("creation_time", "last_updated_time"):
            self.check(where + "." + k, rfc3339(g(k)),
                       "RFC 3339 UTC with microseconds", g(k))
        lv = g("latest_version")
        self.check(where + ".latest_version", isint(lv) and lv >= 0,
                   "an integer >= 0", lv)
        if described and "version" in m:
            v = m["version"]
            if isint(lv) and lv == 0:
                self.check(where + ".version", v is None,
                           "null when there is no version", v)
            else:
                self.check(where + ".version", v is not None,
                           "a version object", v)
                if v is not None:
                    self.version(where + ".version", v)
                    if isinstance(v, dict):
                        self.check(where + ".version.model",
                                   v.get("model") == g("name"),
                                   "the model's name", v.get("model"))

    def version(self, where, v):
        want = ["model", "version", "id", "parent", "created", "message",
                "size", "files", "framework", "metadata", "metrics",
                "hparams", "provenance"]
        if not self.keys(where, v, want):
            return
        g = v.get
        self.check(where + ".model", isstr(g("model")) and g("model") != "",
                   "a non-empty string", g("model"))
        self.check(where + ".version", isint(g("version")) and g("version") >= 1,
                   "an integer >= 1", g("version"))
        self.check(where + ".id", hex64(g("id")), "64 hex digits", g("id"))
        p = g("parent")
        self.check(where + ".parent", p is None or hex64(p),
                   "null or 64 hex digits", p)
        if g("version") == 1:
            self.check(where + ".parent", p is None, "null for version 1", p)
        elif isint(g("version")) and g("version") > 1:
            self.check(where + ".parent", p is not None,
                       "an id for a version > 1", p)
        self.check(where + ".created", rfc3339(g("created")),
                   "RFC 3339 UTC with microseconds", g("created"))
        self.check(where + ".message", isstr(g("message")), "a string",
                   g("message"))
        size = g("size")
        self.check(where + ".size", isint(size) and size >= 0,
                   "an integer >= 0", size)
        files = g("files")
        if not isinstance(files, list):
            self.err(where + ".files", "not an array: %s" % show(files))
        else:
            total = 0
            for i, f in enumerate(files):
                fw = "%s.files[%d]" % (where, i)
                if not self.keys(fw, f, ["path", "size", "sha256", "mode"]):
                    continue
                self.check(fw + ".path", isstr(f.get("path")) and f.get("path"),
                           "a non-empty string", f.get("path"))
                self.check(fw + ".size", isint(f.get("size")) and f.get("size") >= 0,
                           "an integer >= 0", f.get("size"))
                if isint(f.get("size")):
                    total += f["size"]
                self.check(fw + ".sha256", hex64(f.get("sha256")),
                           "64 hex digits", f.get("sha256"))
                self.check(fw + ".mode", f.get("mode") in ("0644", "0755"),
                           '"0644" or "0755"', f.get("mode"))
            paths = [f.get("path") for f in files if isinstance(f, dict)]
            if all(isstr(x) for x in paths):
                self.check(where + ".files", paths == sorted(paths),
                           "sorted by path", paths)
                self.check(where + ".files", len(set(paths)) == len(paths),
                           "distinct paths", paths)
            if isint(size):
                self.check(where + ".size", size == total,
                           "the sum of the files' sizes (%d)" % total, size)
        fw = g("framework")
        if fw is not None:
            if self.keys(where + ".framework", fw, ["name", "version"]):
                self.check(where + ".framework.name",
                           isstr(fw["name"]) and fw["name"] != "",
                           "a non-empty string", fw["name"])
                self.check(where + ".framework.version",
                           fw["version"] is None or isstr(fw["version"]),
                           "a string or null", fw["version"])
        for k in ("metadata", "metrics", "hparams"):
            self.check(where + "." + k, isinstance(g(k), dict), "an object",
                       g(k))
        pv = g("provenance")
        pw = where + ".provenance"
        if not self.keys(pw, pv, ["user", "host", "time", "mlreg_version",
                                  "git"]):
            return
        for k in ("user", "host", "mlreg_version"):
            self.check(pw + "." + k, isstr(pv[k]) and pv[k] != "",
                       "a non-empty string", pv[k])
        self.check(pw + ".time", rfc3339(pv["time"]),
                   "RFC 3339 UTC with microseconds", pv["time"])
        git = pv["git"]
        if git is None:
            return
        gw = pw + ".git"
        if not self.keys(gw, git, ["commit", "branch", "dirty", "remote",
                                   "paths"]):
            return
        self.check(gw + ".commit", git["commit"] is None or hex40(git["commit"]),
                   "null or 40 hex digits", git["commit"])
        self.check(gw + ".branch", git["branch"] is None or
                   (isstr(git["branch"]) and git["branch"] != ""),
                   "null or a non-empty string", git["branch"])
        self.check(gw + ".dirty", isinstance(git["dirty"], bool), "a boolean",
                   git["dirty"])
        self.check(gw + ".remote", git["remote"] is None or isstr(git["remote"]),
                   "null or a string", git["remote"])
        self.check(gw + ".paths", isinstance(git["paths"], list) and
                   all(isstr(x) for x in git["paths"]),
                   "an array of strings", git["paths"])


def get(d, expr):
    """Prints EXPR of d; returns 0."""
    v = eval(expr, env(d))
    print("null" if v is None else show(v))
    return 0


def assert_(d, exprs):
    """Checks that each of EXPRS is true of d; returns 0 or 1."""
    bad = 0
    for expr in exprs:
        try:
            ok = eval(expr, env(d))
        except Exception as e:
            ok = False
            sys.stderr.write("json_assert: %s raised %r\n" % (expr, e))
        if not ok:
            sys.stderr.write("json_assert: false: %s\n" % expr)
            bad = 1
    if bad:
        sys.stderr.write("json_assert: the document:\n")
        sys.stderr.write(json.dumps(d, indent=2, sort_keys=True) + "\n")
    return bad


def equal(d, text):
    """Checks that d equals the JSON TEXT; returns 0 or 1."""
    want = json.loads(text)
    if d == want and show(d) == show(want):
        return 0
    sys.stderr.write("json_equal: expected %s\n" % show(want))
    sys.stderr.write("json_equal:      got %s\n" % show(d))
    return 1


def batch(d, args):
    """Runs the commands of ARGS (separated by "--") on d in order; returns
    the status of the first that fails (2 for a malformed one), or 0."""
    cmds, cur = [], []
    for a in args:
        if a == "--":
            cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    cmds.append(cur)
    for c in cmds:
        if c[:1] == ["get"] and len(c) == 2:
            rc = get(d, c[1])
        elif c[:1] == ["assert"]:
            rc = assert_(d, c[1:])
        elif c[:1] == ["equal"] and len(c) == 2:
            rc = equal(d, c[1])
        elif c[:1] == ["schema"] and len(c) in (2, 3):
            rc = check_schema(c[1], d, c[2:])
        else:
            sys.stderr.write("lib-json: batch: bad command: %s\n" % " ".join(c))
            return 2
        if rc:
            return rc
    return 0


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, path = argv[1], argv[2]
    if cmd == "schema":
        return schema(argv) if len(argv) > 3 else 2
    d = load(path)
    if cmd == "get":
        return get(d, argv[3])
    if cmd == "assert":
        return assert_(d, argv[3:])
    if cmd == "equal":
        return equal(d, argv[3])
    if cmd == "batch":
        return batch(d, argv[3:])
    if cmd == "edit":
        g = env(d)
        exec(argv[3], g)
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(g["d"]))
        return 0
    sys.stderr.write("lib-json: unknown command %s\n" % cmd)
    return 2


def schema(argv):
    """Checks argv = [prog, "schema", KIND, FILE, EXPR?]; returns 0 or 1."""
    return check_schema(argv[2], load(argv[3]), argv[4:])


def check_schema(kind, d, expr):
    """Checks EXPR (a list of one, or none: d itself) of d against mlreg's
    schema of KIND; returns 0, 1, or 2 for an unknown KIND."""
    obj = eval(expr[0], env(d)) if expr else d
    c = Checker()
    if kind == "model":
        c.model("model", obj, False)
    elif kind == "described":
        c.model("model", obj, True)
    elif kind == "version":
        c.version("version", obj)
    elif kind in ("models", "versions"):
        if not isinstance(obj, list):
            c.err(kind, "not an array: %s" % show(obj))
        else:
            for i, o in enumerate(obj):
                if kind == "models":
                    c.model("models[%d]" % i, o, False)
                else:
                    c.version("versions[%d]" % i, o)
    else:
        sys.stderr.write("lib-json: unknown schema kind %s\n" % kind)
        return 2
    if c.errors:
        for e in c.errors:
            sys.stderr.write("json_schema: %s\n" % e)
        sys.stderr.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
