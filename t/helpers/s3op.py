#!/usr/bin/python3
"""t/helpers/s3op.py: S3 requests awscli cannot make, or makes too slowly,
for mlreg's tests, through botocore (Debian's python3-botocore).

    s3op.py ENDPOINT mb BUCKET...
        create the buckets
    s3op.py ENDPOINT put BUCKET KEY FILE [HEADER=VALUE...]
        one PUT of FILE's bytes with the extra headers (If-None-Match,
        If-Match, ...); prints "STATUS ETAG" (the ETag as the server sent
        it, quotes and all) or "STATUS CODE" (the S3 error code)
    s3op.py ENDPOINT get BUCKET KEY FILE
        one GET into FILE; prints "STATUS ETAG" or "STATUS CODE"
    s3op.py ENDPOINT race BUCKET PREFIX N ROUNDS [HEADER=VALUE...]
        ROUNDS times, N PUTs of one key (PREFIX/ROUND) at once (N threads
        let go together), each of its own bytes ("racer I\n"), with the
        extra headers, then a GET of the key; prints a line a round: the
        statuses, sorted, "winners" and the racers I that got a 2xx,
        "stored" and the racer whose bytes the key then holds
    s3op.py ENDPOINT put-tree BUCKET PREFIX DIR
        PUT every file below DIR at PREFIX/PATH (PATH relative to DIR),
        16 at a time

Credentials and region come from the environment (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION, as t/lib-s3.sh's aws_env sets them);
path-style URLs, no retries: what the server answers is what is printed.
Exits 0 when every request got an answer (whatever its status), 1 on a
transport failure or a failed mb/put-tree.
"""

import concurrent.futures
import os
import sys
import threading

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError


def client(endpoint, pool=16):
    return botocore.session.get_session().create_client(
        "s3", endpoint_url=endpoint,
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"},
                      retries={"max_attempts": 1, "mode": "standard"},
                      max_pool_connections=pool))


def headers_of(args):
    h = {}
    for a in args:
        name, sep, value = a.partition("=")
        if not sep:
            raise SystemExit("s3op.py: not HEADER=VALUE: %r" % a)
        h[name] = value
    return h


def put(c, bucket, key, body, headers):
    """Returns (status, ETag or error code) of one PUT with extra headers."""
    # botocore 1.29 has no IfNoneMatch/IfMatch for PutObject: the headers
    # go in before the request is signed, so they are signed too.
    def add(request, **kw):
        for k, v in headers.items():
            request.headers[k] = v
    ev = "before-sign.s3.PutObject"
    c.meta.events.register(ev, add, unique_id="s3op-headers-%d" % threading.get_ident())
    try:
        r = c.put_object(Bucket=bucket, Key=key, Body=body)
        return r["ResponseMetadata"]["HTTPStatusCode"], r.get("ETag", "")
    except ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response.get("Error", {}).get("Code", ""))
    finally:
        c.meta.events.unregister(ev, unique_id="s3op-headers-%d" % threading.get_ident())


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    endpoint, cmd, args = argv[1], argv[2], argv[3:]
    if cmd == "mb":
        c = client(endpoint)
        for b in args:
            c.create_bucket(Bucket=b)
        return 0
    if cmd == "put" and len(args) >= 3:
        c = client(endpoint)
        with open(args[2], "rb") as f:
            body = f.read()
        status, what = put(c, args[0], args[1], body, headers_of(args[3:]))
        print(status, what)
        return 0
    if cmd == "get" and len(args) == 3:
        c = client(endpoint)
        try:
            r = c.get_object(Bucket=args[0], Key=args[1])
            with open(args[2], "wb") as f:
                f.write(r["Body"].read())
            print(r["ResponseMetadata"]["HTTPStatusCode"], r.get("ETag", ""))
        except ClientError as e:
            print(e.response["ResponseMetadata"]["HTTPStatusCode"],
                  e.response.get("Error", {}).get("Code", ""))
        return 0
    if cmd == "race" and len(args) >= 4:
        bucket, prefix, n, rounds = args[0], args[1], int(args[2]), int(args[3])
        headers = headers_of(args[4:])
        clients = [client(endpoint, 1) for _ in range(n)]
        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            for r in range(1, rounds + 1):
                key = "%s/%d" % (prefix, r)
                go = threading.Barrier(n)

                def one(i):
                    go.wait()
                    return put(clients[i], bucket, key, b"racer %d\n" % i, headers)[0]
                got = list(ex.map(one, range(n)))
                body = clients[0].get_object(Bucket=bucket, Key=key)["Body"].read()
                print(" ".join(str(s) for s in sorted(got)), "winners",
                      " ".join(str(i) for i, s in enumerate(got) if 200 <= s < 300),
                      "stored", body.decode().split()[-1])
        return 0
    if cmd == "put-tree" and len(args) == 3:
        bucket, prefix, top = args
        files = []
        for d, _, names in os.walk(top):
            for name in names:
                path = os.path.join(d, name)
                files.append((path, prefix + "/" + os.path.relpath(path, top)))
        c = client(endpoint)

        def one(f):
            with open(f[0], "rb") as fh:
                c.put_object(Bucket=bucket, Key=f[1], Body=fh.read())
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            list(ex.map(one, files))
        return 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
