#!/usr/bin/python3
"""Differential test of mlreg's SigV4 signer (lib/remote/s3/sigv4.c) against botocore's
S3SigV4Auth, printing TAP (run by t/t0111-sigv4-botocore.t).

    sigv4-check.py DRIVER [COUNT [SEED]]

DRIVER is t/unit/sigv4-sign.  The script first has botocore reproduce the four
worked examples of AWS's S3 SigV4 documentation, so that botocore itself is
checked against AWS before it is trusted.  It then makes COUNT (600) random S3
requests from SEED (fixed, so a failure replays), signs each with botocore's
own add_auth() at a fixed time, and each with the driver, and compares the
Authorization headers.

The random requests are what mlreg's push and pull send, and more: methods GET
PUT POST HEAD DELETE; object keys with spaces, '%', '+', '=', '~', '*', UTF-8,
'//', '/./' and '/../' runs and model names holding "%2F" (sent as %252F);
queries with bare 'uploads', uploadId and partNumber, list-type=2 with a
prefix and a base64 continuation-token, empty values, repeated keys and keys
that prefix one another; headers whose names prefix one another
(x-amz-meta-a, x-amz-meta-a-b, x-amz-meta-ab), names in any case, repeated
names, values with runs of inner spaces and leading and trailing spaces,
x-amz-security-token, range, content-type, content-md5; payloads hashed or
UNSIGNED-PAYLOAD.  The driver is given each query as a URL may carry it:
sometimes canonical, sometimes with escapes in lowercase, unreserved bytes
escaped and reserved ones raw, which the signer must decode and re-encode.

How botocore is driven, and where it parts from AWS's documented canonical
form (read from botocore/auth.py, 1.29):

  - S3SigV4Auth._normalize_url_path() returns the URL's path untouched, as S3
    wants (SigV4Auth, for other services, removes dot segments and '//' and
    encodes again: the suite's normalisation vectors, which S3 does not
    follow).  So the URL given to botocore carries the path exactly as mlreg
    sends it, and the script checks urlsplit() gives it back unchanged.

  - A query in the URL is signed verbatim: _canonical_query_string_url()
    splits on '&' and the first '=' and sorts, but decodes and re-encodes
    nothing, so "a%2fb" or a raw '/' or '~' escaped as %7E would be signed as
    written, where AWS (and S3, which decodes what it receives) canonicalise
    them to "a%2Fb", %2F and '~'.  botocore never notices because its own
    serializer writes canonical queries.  Given request.params instead,
    botocore encodes each key and value with quote(safe='-_.~'), which is
    AWS's rule.  So botocore gets the decoded parameters (or, for some
    requests, the canonical query in the URL), and the driver the query as
    sent, in any of the encodings above.

  - A Date header makes add_auth() delete X-Amz-Date and sign Date alone
    (_set_necessary_date_headers); AWS's PUT example signs both, and S3
    accepts both.  The random requests carry no Date; the documentation
    examples are signed by calling botocore's canonical_request(),
    string_to_sign() and signature() directly.

  - Header values are trimmed with ' '.join(value.split()), which collapses
    every Unicode whitespace run (tabs, form feeds, U+00A0, U+2003...) into
    one space; AWS's Trimall names only spaces.  mlreg trims spaces and tabs
    at the ends (what an HTTP server strips) and collapses runs of spaces
    only, so the values here use spaces, not other whitespace.

  - A URL with no path signs '' where AWS says '/'; every path here has one.

  - User-Agent, Expect and X-Amzn-Trace-Id are never signed by botocore; mlreg
    signs what it is given, so the requests here carry none of them.

  - S3SigV4Auth replaces X-Amz-Content-SHA256 with its own payload(): the
    SHA-256 of the body, or UNSIGNED-PAYLOAD when the client config's
    s3.payload_signing_enabled is False.  The script gives botocore the body
    and that config, and the driver the hash it computes from the body itself.
"""
import base64
import datetime
import hashlib
import random
import subprocess
import sys
import types
from urllib.parse import quote, urlsplit

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNRESERVED = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
              "0123456789-._~")
# Bytes a URL query may carry unescaped besides the unreserved ones (RFC 3986
# pchar / '?' less '&', '=' and '+', which would change its meaning).
QUERY_RAW_OK = "!$'()*,;:@/?"


class FixedClock(datetime.datetime):
    """datetime.datetime whose utcnow() is the time the request is signed at."""

    now = datetime.datetime(2015, 8, 30, 12, 36, 0)

    @classmethod
    def utcnow(cls):
        return cls.now


# botocore/auth.py does "import datetime" and calls datetime.datetime.utcnow():
# give that module alone a datetime whose clock is fixed.
botocore.auth.datetime = types.SimpleNamespace(datetime=FixedClock)


def encode(s, keep_slash):
    """AWS's URI encoding (what mlreg_sigv4_uri_encode writes)."""
    return quote(s, safe="/~" if keep_slash else "~")


def loose_encode(rng, s, is_key):
    """s as a URL query may carry it: each byte escaped in either case or,
    where that keeps its meaning, sent raw; decodes to the same bytes."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        raw_ok = b < 0x80 and (c in UNRESERVED or c in QUERY_RAW_OK or
                               (c == "=" and not is_key))
        if raw_ok and rng.random() < 0.7:
            out.append(c)
        else:
            h = "%02X" % b
            out.append("%" + (h.lower() if rng.random() < 0.5 else h))
    return "".join(out)


def rand_text(rng, alphabet, lo, hi):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))


KEY_PIECES = ["a", "b", "model", "v1", "1.json", "x y", "  ", "%", "%2F",
              "+", "=", "~", "*", "caf\u00e9", "\u1234", "\U0001f600", "//",
              "/./", "/../", ".", "..", "&", "?", "#", ";", ",", "'", "(",
              ")", "!", "$", "@", ":", "[", "]", "^", "`", "|", "\\", "\"",
              "<", ">", "{", "}", "tab\tx"]
TEXT = UNRESERVED + " %+=&/*?#;:@!$',()\u00e9\u1234"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def rand_b64(rng, n):
    return base64.b64encode(bytes(rng.getrandbits(8) for _ in range(n))
                            ).decode()


def rand_case(rng, name):
    r = rng.random()
    if r < 0.4:
        return name
    if r < 0.6:
        return name.upper()
    if r < 0.8:
        return "-".join(p.capitalize() for p in name.split("-"))
    return "".join(c.upper() if rng.random() < 0.5 else c for c in name)


def rand_spaces(rng, value):
    """value with spaces added around it and between its words."""
    words = value.split(" ")
    inner = [" " * rng.randint(1, 4) for _ in words[1:]]
    out = words[0]
    for gap, w in zip(inner, words[1:]):
        out += gap + w
    return " " * rng.randint(0, 3) + out + " " * rng.randint(0, 3)


def rand_path(rng):
    bucket = rng.choice(["models", "my-bucket", "b.example.com", "x"])
    r = rng.random()
    if r < 0.05:
        return "/", bucket
    if r < 0.1:
        return "/" + bucket, bucket
    key = "".join(rng.choice(KEY_PIECES) for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.3:
        # A model name as mlreg stores it: '/' written %2F, then encoded.
        key = "models/%s/%d.json" % (quote("team/" + key, safe=""),
                                     rng.randint(1, 99))
    if rng.random() < 0.5:
        return "/" + bucket + "/" + encode(key, True), bucket
    return "/" + encode(key, True), bucket


def rand_params(rng):
    """A list of (key, value) pairs; value None is a bare key."""
    kind = rng.randrange(9)
    if kind == 0:
        p = []
    elif kind == 1:
        p = [("uploads", None)]
    elif kind == 2:
        p = [("uploadId", rand_b64(rng, 24).rstrip("=")),
             ("partNumber", str(rng.randint(1, 10000)))]
        if rng.random() < 0.3:
            p[1] = ("partNumber", "3")
    elif kind == 3:
        p = [("list-type", "2"), ("prefix", rand_text(rng, TEXT, 0, 12)),
             ("continuation-token", rand_b64(rng, rng.randint(10, 60)))]
        if rng.random() < 0.5:
            p.append(("delimiter", "/"))
        if rng.random() < 0.3:
            p.append(("max-keys", str(rng.randint(1, 1000))))
        if rng.random() < 0.3:
            p.append(("start-after", rand_text(rng, TEXT, 1, 10)))
    elif kind == 4:
        p = [("prefix", ""), ("delimiter", ""), ("marker", None)]
    elif kind == 5:
        p = [(k, rng.choice(["1", "", None, "x y"]))
             for k in rng.sample(["a", "ab", "a-b", "a.b", "a_b", "A", "aB",
                                  "a~", "a%", "abc"], rng.randint(2, 6))]
    elif kind == 6:
        p = [("k", rand_text(rng, TEXT, 0, 5)) for _ in range(3)]
        p.append(("K", "v"))
    elif kind == 7:
        p = [("delete", None)] if rng.random() < 0.5 else [("lifecycle", None)]
        p.append(("versionId", rand_text(rng, UNRESERVED, 8, 20)))
    else:
        p = [(rand_text(rng, TEXT, 1, 6), rand_text(rng, TEXT, 0, 8))
             for _ in range(rng.randint(1, 5))]
    rng.shuffle(p)
    return p


def rand_headers(rng):
    """A list of (name, value) headers, besides host and what botocore adds."""
    h = []
    meta = ["x-amz-meta-a", "x-amz-meta-ab", "x-amz-meta-a-b", "x-amz-meta-a1",
            "x-amz-meta-b", "x-amz-meta-"]
    for name in rng.sample(meta, rng.randint(0, len(meta))):
        value = rng.choice(["1", "a b", "x  y   z", "", "caf\u00e9 \u1234",
                            "v,w", "a:b", "\"q  q\"", "9"])
        h.append((rand_case(rng, name), rand_spaces(rng, value)
                  if rng.random() < 0.6 else value))
    if rng.random() < 0.3:
        h.append(("Range", rng.choice(["bytes=0-9", "bytes=100-",
                                       "bytes=-500", " bytes=0-0 "])))
    if rng.random() < 0.4:
        h.append(("Content-Type", rng.choice([
            "application/octet-stream", "application/json;  charset=utf-8",
            "text/plain", "  application/x-www-form-urlencoded  "])))
    if rng.random() < 0.2:
        h.append(("Content-MD5", rand_b64(rng, 16)))
    if rng.random() < 0.2:
        h.append(("x-amz-storage-class", "STANDARD_IA"))
    if rng.random() < 0.15:
        h.append(("X-Amz-Copy-Source", "/models/" + encode("a b/c", True)))
    if rng.random() < 0.15:
        h.append(("If-None-Match", "*"))
    if rng.random() < 0.15:
        h.append(("Cache-Control", "no-cache,   no-store"))
    if rng.random() < 0.2 and h:
        # The same name twice, in another case: values join in order.
        name, _ = rng.choice(h)
        h.append((rand_case(rng, name), rand_spaces(rng, "again  x")))
    rng.shuffle(h)
    return h


def make_request(rng, i):
    path, bucket = rand_path(rng)
    host = rng.choice(["s3.amazonaws.com", bucket + ".s3.amazonaws.com",
                       "s3.eu-west-3.amazonaws.com", "127.0.0.1:9000",
                       "minio.local:9000"])
    params = rand_params(rng)
    token = rand_b64(rng, rng.randint(40, 120)) if rng.random() < 0.3 else None
    unsigned = rng.random() < 0.25
    body = b""
    if not unsigned and rng.random() < 0.6:
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
    when = datetime.datetime(2013, 5, 24) + datetime.timedelta(
        seconds=rng.randrange(20 * 366 * 86400))
    return {
        "method": rng.choice(["GET", "PUT", "POST", "HEAD", "DELETE"]),
        "path": path,
        "host": host,
        "params": params,
        "query": "&".join(
            (loose_encode(rng, k, True) if rng.random() < 0.4
             else encode(k, False)) +
            ("" if v is None and rng.random() < 0.7 else
             "=" + (loose_encode(rng, v or "", False) if rng.random() < 0.4
                    else encode(v or "", False)))
            for k, v in params),
        "params_in_url": rng.random() < 0.3,
        "query_line": rng.random() < 0.5,     # "" rather than NULL
        "headers": [(rand_case(rng, "host"), host)] + rand_headers(rng),
        "access": "AKIA" + rand_text(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                                     16, 16),
        "secret": rand_text(rng, B64, 40, 40),
        "region": rng.choice(["us-east-1", "eu-west-3", "us-west-2",
                              "ap-southeast-1"]),
        "token": token,
        "unsigned": unsigned,
        "body": body,
        "when": when,
    }


def canonical_query(params):
    """AWS's canonical query of decoded parameters."""
    pairs = sorted((encode(k, False), encode(v or "", False))
                   for k, v in params)
    return "&".join("%s=%s" % kv for kv in pairs)


def botocore_sign(req):
    """Returns (Authorization, canonical request) from botocore's add_auth."""
    scheme = "https" if req["unsigned"] or req["token"] else "http"
    url = "%s://%s%s" % (scheme, req["host"], req["path"])
    params = [(k, v or "") for k, v in req["params"]]
    if req["params_in_url"] and params:
        url += "?" + canonical_query(req["params"])
        params = []
    assert urlsplit(url).path == req["path"], url
    r = AWSRequest(method=req["method"], url=url, data=req["body"],
                   params=params)
    for name, value in req["headers"]:
        r.headers[name] = value       # HTTPHeaders: a repeat is appended
    if req["unsigned"]:
        r.context["client_config"] = Config(
            s3={"payload_signing_enabled": False})
    FixedClock.now = req["when"]
    creds = Credentials(req["access"], req["secret"], req["token"])
    auth = botocore.auth.S3SigV4Auth(creds, "s3", req["region"])
    auth.add_auth(r)
    return r.headers["Authorization"], auth.canonical_request(r)


def driver_input(req):
    """The request in sigv4-sign's line format, with what botocore adds."""
    payload = ("UNSIGNED-PAYLOAD" if req["unsigned"]
               else hashlib.sha256(req["body"]).hexdigest())
    headers = list(req["headers"]) + [
        ("X-Amz-Date", req["when"].strftime("%Y%m%dT%H%M%SZ")),
        ("X-Amz-Content-SHA256", payload)]
    if req["token"]:
        headers.append(("X-Amz-Security-Token", req["token"]))
    lines = ["access " + req["access"], "secret " + req["secret"],
             "region " + req["region"], "service s3",
             "method " + req["method"], "path " + req["path"]]
    if req["params"] or req["query_line"]:
        lines.append("query " + req["query"])
    lines += ["header %s %s" % hv for hv in headers]
    lines += ["payload " + payload, "sign"]
    return "\n".join(lines) + "\n"


def run_driver(driver, text):
    out = subprocess.run([driver, "-c"], input=text.encode("utf-8"),
                         stdout=subprocess.PIPE, check=True).stdout
    lines = out.decode("utf-8").split("\n")
    return [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2)]


def unescape(s):
    return s.replace("\\n", "\n").replace("\\\\", "\\")


# AWS's S3 SigV4 documentation examples: (title, method, path, query,
# headers, body, published signature).
S3_DOCS = [
    ("GET object with Range", "GET", "/test.txt", "",
     [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9"),
      ("x-amz-content-sha256", EMPTY_SHA256),
      ("x-amz-date", "20130524T000000Z")], b"",
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    ("PUT object", "PUT", "/test%24file.text", "",
     [("Host", "examplebucket.s3.amazonaws.com"),
      ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
      ("x-amz-date", "20130524T000000Z"),
      ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
      ("x-amz-content-sha256",
       hashlib.sha256(b"Welcome to Amazon S3.").hexdigest())],
     b"Welcome to Amazon S3.",
     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    ("GET ?lifecycle", "GET", "/", "lifecycle",
     [("Host", "examplebucket.s3.amazonaws.com"),
      ("x-amz-date", "20130524T000000Z"),
      ("x-amz-content-sha256", EMPTY_SHA256)], b"",
     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    ("GET ?max-keys=2&prefix=J", "GET", "/", "max-keys=2&prefix=J",
     [("Host", "examplebucket.s3.amazonaws.com"),
      ("x-amz-date", "20130524T000000Z"),
      ("x-amz-content-sha256", EMPTY_SHA256)], b"",
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
]


def check_s3_docs(driver, tap):
    """Has botocore, then the driver, sign AWS's S3 examples."""
    creds = Credentials("AKIAIOSFODNN7EXAMPLE",
                        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    text, botocore_creqs = "", []
    for title, method, path, query, headers, body, want in S3_DOCS:
        url = "https://examplebucket.s3.amazonaws.com" + path
        if query:
            url += "?" + query
        r = AWSRequest(method=method, url=url, data=body)
        for name, value in headers:
            r.headers[name] = value
        # Not add_auth(): it would drop the PUT example's X-Amz-Date.
        r.context["timestamp"] = "20130524T000000Z"
        auth = botocore.auth.S3SigV4Auth(creds, "s3", "us-east-1")
        creq = auth.canonical_request(r)
        got = auth.signature(auth.string_to_sign(r, creq), r)
        tap.ok(got == want, "botocore reproduces AWS's S3 example: " + title,
               ["botocore: " + got, "AWS:      " + want])
        botocore_creqs.append(creq)
        text += "".join(
            ["access AKIAIOSFODNN7EXAMPLE\n",
             "secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
             "region us-east-1\nservice s3\n",
             "method %s\npath %s\nquery %s\n" % (method, path, query)] +
            ["header %s %s\n" % hv for hv in headers] +
            ["payload %s\nsign\n" % hashlib.sha256(body).hexdigest()])
    for (title, *_, want), (authz, creq), bcreq in zip(
            S3_DOCS, run_driver(driver, text), botocore_creqs):
        tap.ok(authz.endswith("Signature=" + want) and unescape(creq) == bcreq,
               "mlreg and botocore agree on AWS's S3 example: " + title,
               ["mlreg:    " + authz, "mlreg:    " + creq,
                "botocore: " + bcreq])


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, title, diag=()):
        self.n += 1
        title = title.replace("#", "%23").replace("\n", " ")
        print("%sok %d - %s" % ("" if cond else "not ", self.n, title))
        if not cond:
            self.failed += 1
            for line in diag:
                print("#   " + line.replace("\n", "\\n"))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: sigv4-check.py DRIVER [COUNT [SEED]]")
    driver = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20240611
    rng = random.Random(seed)
    tap = Tap()
    print("# botocore %s, seed %d" % (botocore.__version__, seed))
    check_s3_docs(driver, tap)

    reqs = [make_request(rng, i) for i in range(count)]
    results = run_driver(driver, "".join(driver_input(r) for r in reqs))
    if len(results) != len(reqs):
        print("Bail out! driver printed %d results for %d requests"
              % (len(results), len(reqs)))
        sys.exit(1)
    for i, (req, (authz, creq)) in enumerate(zip(reqs, results)):
        want, bcreq = botocore_sign(req)
        title = "%d: %s %s%s" % (i + 1, req["method"], req["path"],
                                 "?" + req["query"] if req["query"] else "")
        if len(title) > 100:
            title = title[:97] + "..."
        tap.ok(authz == want, title,
               ["mlreg:    " + authz, "botocore: " + want,
                "mlreg canonical:    " + creq,
                "botocore canonical: " + bcreq])
    print("1..%d" % tap.n)
    sys.exit(1 if tap.failed else 0)


if __name__ == "__main__":
    main()
