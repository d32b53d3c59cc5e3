#!/usr/bin/python3
"""t/helpers/faultproxy.py: an HTTP/1.1 fault-injecting proxy for mlreg's tests.

    faultproxy.py --upstream HOST:PORT --port-file FILE [--rules FILE]
                  [--log FILE] [--port N] [--watch-pid PID]

Listens on 127.0.0.1 (a port the system chooses unless --port N), writes the
port to FILE once it listens (atomically), and forwards every request to
HOST:PORT unchanged: the request line, every header (Host included: SigV4
signs it) and the body go out byte for byte, and so does the response, so a
client signs for the proxy's host:port exactly as it would for the server's.
One upstream connection per client connection; keep-alive and sequentially
pipelined requests work; request bodies come with Content-Length or chunked
(framing forwarded as is); "Expect: 100-continue" is forwarded and the
server's "100 Continue" relayed (the proxy answers 100 itself when a rule
keeps the request from the server); responses may be content-length,
chunked or close-delimited; HEAD, 1xx, 204 and 304 responses have no body.
Bodies are streamed in 64 KiB pieces, never held whole.  One thread a
connection.  It stops on SIGTERM/SIGINT, or by itself once process PID
(--watch-pid) is gone.

Rules, --rules FILE, re-read at every request (a missing or empty file means
none; a file that does not parse counts as none, with a warning on stderr),
are a JSON list of objects:

    {"method": "PUT",           optional, any method when absent
     "path":   "^/bkt/obj/",    optional, Python regex searched in the path
     "query":  "partNumber=2",  optional, regex searched in the raw query
                                ("" when there is none)
     "skip":   M,               let the first M matching requests through (0)
     "times":  K,               then act on the next K of them; -1 (the
                                default) for ever
     "action": "...",           see below
     "code":   "SlowDown",      status: the XML error Code (by default from
                                the status: 500 InternalError, 503 SlowDown,
                                403 AccessDenied, 404 NoSuchKey, 400
                                BadRequest, 409 Conflict, 412
                                PreconditionFailed, else InternalError)
     "headers": {"Retry-After": "1"},  status: extra response headers
     "bytes":  N}               reset: request body bytes read before the
                                reset (default half the body, at most 64 KiB);
                                reset-response: body bytes relayed before
                                the cut (default half the body, at most 16)

Every rule whose method, path and query match counts the request (counters
live in memory, keyed by the rule's index and content, so rewriting the file
with the same rule keeps its count and changing a rule restarts it); the
first matching rule whose count falls within (skip, skip + times] acts.
Actions:

    status:CODE     read the request body, answer CODE with an S3-style XML
                    <Error> body (none for HEAD); the server sees nothing
    reset           read part of the request body, then close the connection
                    with a TCP RST (SO_LINGER 0)
    reset-response  forward the request, relay the response's headers and a
                    few body bytes, then close (FIN) the client connection;
                    a response with no body (HEAD, a PUT's 200) is cut after
                    its status line, with a reset
    stall           read the request, never answer; the connection stays
                    open until the client closes it or the proxy exits
    corrupt         forward, flipping one byte (XOR 0x01) in the middle of
                    the response body (of the first chunk when chunked);
                    length and headers unchanged
    delay:MS        wait MS milliseconds, then forward
    length:N        (HEAD) forward, then relay the answer with its
                    Content-Length set to N: a server that lies about a
                    key's size
    tokens          (a ListObjectsV2 GET) a server whose continuation
                    tokens go round: the rule's "tokens" list, e.g.
                    ["A", "B"], or "unique" for new ones for ever
                    (faultproxy-unique-1, -2, ...).  A request without one
                    of them is forwarded and the listing relayed; a request
                    with one is answered by the proxy with the last listing
                    it relayed for the rule; either way the page says
                    IsTruncated true and its NextContinuationToken is the
                    rule's next token (the K-th time the rule acts: tokens[K
                    mod len], from K = 0)
    stall-response  forward the request and read the server's answer, then
                    never relay it (the server did the work; the client
                    waits, as "stall")
    down:MS         reset this connection and every other open one, stop
                    listening (new connections are refused) for MS
                    milliseconds, then listen again on the same port
    pass            forward (the same as no rule)

--log FILE gets one line a request, flushed at once:

    METHOD TARGET STATUS BYTES_IN BYTES_OUT ACTION

TARGET is the request target as sent (path, "?query" when there is one),
STATUS the status relayed or answered ("-" when none: reset, stall, down, a
server that could not be reached), BYTES_IN the request body bytes read from
the client, BYTES_OUT the response body bytes sent to it, ACTION "pass" or
the rule's action.  A stalled request is logged when it stalls.
"""

import argparse
import json
import os
import re
import select
import signal
import socket
import struct
import sys
import threading
import time

PIECE = 65536
LINE_MAX = 65536

DEFAULT_CODES = {
    400: "BadRequest", 403: "AccessDenied", 404: "NoSuchKey",
    405: "MethodNotAllowed", 409: "Conflict", 412: "PreconditionFailed",
    416: "InvalidRange", 500: "InternalError", 501: "NotImplemented",
    503: "SlowDown",
}
REASONS = {
    200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 412: "Precondition Failed",
    416: "Range Not Satisfiable", 429: "Too Many Requests",
    500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


class ClientGone(Exception):
    """The client closed or broke its connection."""


class UpstreamGone(Exception):
    """The server closed or broke its connection."""


class UpstreamFile:
    """The server's side of a connection, read as a file: a read that fails
    (a reset from a server dying as it answers) is UpstreamGone, so the
    request is logged as upstream-broke, never dropped unlogged."""

    def __init__(self, f):
        self.f = f

    def _read(self, name, *args):
        try:
            return getattr(self.f, name)(*args)
        except OSError as e:
            raise UpstreamGone(str(e))

    def readline(self, *args):
        return self._read("readline", *args)

    def read(self, *args):
        return self._read("read", *args)

    def read1(self, *args):
        return self._read("read1", *args)

    def close(self):
        self.f.close()


def warn(msg):
    sys.stderr.write("faultproxy: %s\n" % msg)
    sys.stderr.flush()


def hard_close(sock):
    """Close SOCK with a TCP RST."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def soft_close(sock):
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def read_line(f, who):
    line = f.readline(LINE_MAX)
    if not line:
        raise who("EOF")
    if not line.endswith(b"\n"):
        raise who("line too long or truncated")
    return line


def read_head(f, who):
    """Read header lines up to the blank line; returns (raw bytes, list of
    (lowercase name, value))."""
    raw = []
    fields = []
    while True:
        line = read_line(f, who)
        raw.append(line)
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and fields:      # obsolete folding
            name, value = fields[-1]
            fields[-1] = (name, value + " " + line.strip().decode("latin-1"))
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        fields.append((name.strip().lower().decode("latin-1"),
                       value.strip().decode("latin-1")))
    return b"".join(raw), fields


def header(fields, name):
    for n, v in fields:
        if n == name:
            return v
    return None


def has_token(fields, name, token):
    for n, v in fields:
        if n == name and token in [t.strip().lower() for t in v.split(",")]:
            return True
    return False


class Rules:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.counts = {}

    def load(self):
        if not self.path:
            return []
        try:
            with open(self.path, "rb") as f:
                text = f.read()
        except FileNotFoundError:
            return []
        except OSError as e:
            warn("cannot read %s: %s" % (self.path, e))
            return []
        if not text.strip():
            return []
        try:
            rules = json.loads(text)
        except ValueError as e:
            warn("bad rules in %s: %s" % (self.path, e))
            return []
        if isinstance(rules, dict):
            rules = [rules]
        if not isinstance(rules, list):
            warn("rules in %s are not a list" % self.path)
            return []
        return rules

    def match(self, method, path, query):
        """The rule that acts on this request, or None."""
        rules = self.load()
        chosen = None
        with self.lock:
            for i, rule in enumerate(rules):
                if not isinstance(rule, dict):
                    continue
                try:
                    m = rule.get("method")
                    if m and str(m).upper() != method.upper():
                        continue
                    p = rule.get("path")
                    if p is not None and not re.search(p, path):
                        continue
                    q = rule.get("query")
                    if q is not None and not re.search(q, query):
                        continue
                except re.error as e:
                    warn("bad regex in rule %d: %s" % (i, e))
                    continue
                key = (i, json.dumps(rule, sort_keys=True))
                n = self.counts.get(key, 0) + 1
                self.counts[key] = n
                skip = int(rule.get("skip", 0) or 0)
                times = int(rule.get("times", -1))
                if chosen is None and n > skip and (times < 0 or n <= skip + times):
                    chosen = rule
        return chosen


class Proxy:
    def __init__(self, args):
        host, _, port = args.upstream.rpartition(":")
        self.upstream = (host or "127.0.0.1", int(port))
        self.rules = Rules(args.rules)
        self.log_lock = threading.Lock()
        self.logf = open(args.log, "a", buffering=1) if args.log else None
        self.port = args.port
        self.listener = None
        self.lsn_lock = threading.Lock()
        self.down_until = 0.0
        self.conns = set()
        self.conns_lock = threading.Lock()
        self.state = {}                 # "tokens" rules: times acted, last listing
        self.state_lock = threading.Lock()

    # the listening socket
    def bind(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(128)
        s.setblocking(False)
        self.port = s.getsockname()[1]
        return s

    def go_down(self, ms, current):
        with self.lsn_lock:
            self.down_until = max(self.down_until, time.monotonic() + ms / 1000.0)
            if self.listener is not None:
                soft_close(self.listener)
                self.listener = None
        with self.conns_lock:
            socks = list(self.conns)
        for s in socks:
            if s is not current:
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve(self, port_file):
        self.listener = self.bind()
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % self.port)
        os.rename(tmp, port_file)
        while True:
            with self.lsn_lock:
                ls = self.listener
                if ls is None:
                    wait = self.down_until - time.monotonic()
                    if wait <= 0:
                        try:
                            self.listener = ls = self.bind()
                        except OSError as e:
                            warn("cannot listen again on %d: %s" % (self.port, e))
                            ls = None
                            wait = 0.05
            if ls is None:
                time.sleep(min(max(wait, 0.001), 0.05))
                continue
            try:
                r, _, _ = select.select([ls], [], [], 0.05)
                if not r:
                    continue
                conn, _ = ls.accept()
            except (OSError, ValueError):
                continue
            conn.setblocking(True)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t = threading.Thread(target=self.handle, args=(conn,), daemon=True)
            t.start()

    def log(self, method, target, status, bytes_in, bytes_out, action):
        if self.logf is None:
            return
        line = "%s %s %s %d %d %s\n" % (method, target, status, bytes_in,
                                        bytes_out, action)
        with self.log_lock:
            self.logf.write(line)
            self.logf.flush()

    # one client connection
    def handle(self, conn):
        with self.conns_lock:
            self.conns.add(conn)
        c = Conn(self, conn)
        try:
            c.run()
        except Exception as e:          # noqa: BLE001 -- never kill the proxy
            if not isinstance(e, (ClientGone, UpstreamGone, OSError)):
                warn("connection failed: %r" % e)
        finally:
            with self.conns_lock:
                self.conns.discard(conn)
            c.close()


class Conn:
    def __init__(self, proxy, sock):
        self.p = proxy
        self.sock = sock
        self.rfile = sock.makefile("rb", buffering=PIECE)
        self.up = None
        self.up_rfile = None
        self.closed = False

    def close(self, hard=False):
        if self.closed:
            return
        self.closed = True
        self.close_upstream()
        try:
            self.rfile.close()
        except OSError:
            pass
        if hard:
            hard_close(self.sock)
        else:
            soft_close(self.sock)

    def close_upstream(self):
        if self.up is not None:
            try:
                self.up_rfile.close()
            except OSError:
                pass
            soft_close(self.up)
        self.up = self.up_rfile = None

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ClientGone(str(e))

    def up_send(self, data):
        try:
            self.up.sendall(data)
        except OSError as e:
            raise UpstreamGone(str(e))

    def connect_upstream(self):
        # An idle connection the server closed reads as ready (EOF): drop it.
        if self.up is not None:
            try:
                r, _, _ = select.select([self.up], [], [], 0)
            except (OSError, ValueError):
                r = [True]
            if r:
                self.close_upstream()
        if self.up is None:
            try:
                self.up = socket.create_connection(self.p.upstream, timeout=10)
            except OSError as e:
                raise UpstreamGone(str(e))
            self.up.settimeout(None)
            self.up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.up_rfile = UpstreamFile(self.up.makefile("rb", buffering=PIECE))

    def run(self):
        while not self.closed:
            try:
                line = self.rfile.readline(LINE_MAX)
            except OSError:
                return
            if not line:
                return
            if line in (b"\r\n", b"\n"):
                continue            # tolerated between requests
            if not self.request(line):
                return

    # the request body, in either framing
    def body_kind(self, fields):
        te = header(fields, "transfer-encoding")
        if te is not None and "chunked" in te.lower():
            return ("chunked", 0)
        cl = header(fields, "content-length")
        if cl is not None:
            try:
                return ("length", int(cl))
            except ValueError:
                raise ClientGone("bad content-length")
        return ("length", 0)

    def body_pieces(self, f, kind, who, limit=None):
        """Yield the raw bytes of a body (framing included when chunked) and
        count the payload in self.payload.  Stops early after LIMIT payload
        bytes when given."""
        self.payload = 0
        k, n = kind
        if k == "length":
            left = n if limit is None else min(n, limit)
            while left > 0:
                data = f.read1(min(left, PIECE)) if hasattr(f, "read1") else f.read(min(left, PIECE))
                if not data:
                    raise who("EOF in body")
                left -= len(data)
                self.payload += len(data)
                yield data
            return
        while True:
            line = read_line(f, who)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            yield line
            if size == 0:
                while True:            # trailers, up to the blank line
                    t = read_line(f, who)
                    yield t
                    if t in (b"\r\n", b"\n"):
                        return
            left = size
            while left > 0:
                if limit is not None and self.payload >= limit:
                    return
                want = min(left, PIECE)
                if limit is not None:
                    want = min(want, limit - self.payload)
                data = f.read1(want)
                if not data:
                    raise who("EOF in chunk")
                left -= len(data)
                self.payload += len(data)
                yield data
            yield read_line(f, who)    # the CRLF after the chunk

    def drain_body(self, kind, limit=None):
        for _ in self.body_pieces(self.rfile, kind, ClientGone, limit):
            pass
        return self.payload

    def request(self, line):
        """Handle one request; False when the connection is over."""
        head, fields = read_head(self.rfile, ClientGone)
        parts = line.decode("latin-1").split()
        if len(parts) < 2:
            self.p.log("-", "-", "-", 0, 0, "bad-request")
            self.close(hard=True)
            return False
        method, target = parts[0], parts[1]
        version = parts[2] if len(parts) > 2 else "HTTP/1.0"
        path, _, query = target.partition("?")
        kind = self.body_kind(fields)
        expect = has_token(fields, "expect", "100-continue")
        client_close = has_token(fields, "connection", "close") or (
            version == "HTTP/1.0" and not has_token(fields, "connection", "keep-alive"))

        rule = self.p.rules.match(method, path, query)
        action = str(rule.get("action", "pass")) if rule else "pass"
        name, _, arg = action.partition(":")

        if name == "delay":
            time.sleep(max(float(arg or 0), 0) / 1000.0)
        elif name == "down":
            self.p.go_down(float(arg or 0), self.sock)
            self.p.log(method, target, "-", 0, 0, action)
            self.close(hard=True)
            return False
        elif name == "status":
            return self.answer(rule, int(arg or 500), method, target, kind,
                               expect, client_close, action)
        elif name == "reset":
            if expect:
                self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            total = kind[1] if kind[0] == "length" else PIECE * 2
            limit = rule.get("bytes")
            limit = min(total // 2, PIECE) if limit is None else min(int(limit), total)
            got = 0
            try:
                got = self.drain_body(kind, limit)
            except ClientGone:
                got = self.payload
            self.p.log(method, target, "-", got, 0, action)
            self.close(hard=True)
            return False
        elif name == "stall":
            if expect:
                self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            got = 0
            try:
                got = self.drain_body(kind)
            except ClientGone:
                got = self.payload
            self.p.log(method, target, "-", got, 0, action)
            return self.hold()
        elif name == "tokens":
            token = query_param(query, "continuation-token")
            if token is not None and is_our_token(rule, token):
                return self.answer_listing(rule, method, target, kind, client_close,
                                           action)
        elif name not in ("pass", "corrupt", "reset-response", "delay", "length",
                          "stall-response"):
            warn("unknown action %r: passing" % action)

        return self.forward(rule, name, method, target, head, line, kind,
                            expect, client_close, action)

    def answer(self, rule, status, method, target, kind, expect, client_close,
               action):
        if expect:
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        got = self.drain_body(kind)
        code = str(rule.get("code") or DEFAULT_CODES.get(status, "InternalError"))
        reqid = "FAULTPROXY%08X" % (id(self) & 0xffffffff)
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
                '<Message>injected by faultproxy: %s</Message>'
                '<Resource>%s</Resource><RequestId>%s</RequestId></Error>'
                % (code, action, target.replace("&", "&amp;").replace("<", "&lt;"),
                   reqid)).encode()
        extra = ""
        for k, v in (rule.get("headers") or {}).items():
            extra += "%s: %s\r\n" % (k, v)
        head = ("HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\n"
                "Content-Length: %d\r\nx-amz-request-id: %s\r\n"
                "Date: %s\r\n%s%s\r\n"
                % (status, REASONS.get(status, "Error"), len(body), reqid,
                   time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
                   extra, "Connection: close\r\n" if client_close else ""))
        out = head.encode("latin-1")
        sent = 0
        if method.upper() != "HEAD":
            out += body
            sent = len(body)
        self.send(out)
        self.p.log(method, target, status, got, sent, action)
        if client_close:
            self.close()
            return False
        return True

    def forward(self, rule, name, method, target, head, line, kind, expect,
                client_close, action):
        bytes_in = bytes_out = 0
        status = "-"
        try:
            try:
                self.connect_upstream()
                self.up_send(line + head)
            except UpstreamGone:
                # The server is down: the client sees its connection break.
                self.p.log(method, target, "-", 0, 0, action + ",upstream-down")
                self.close(hard=True)
                return False

            # Expect: 100-continue: relay the server's interim answer (or its
            # early final one) before sending the body.
            final_early = None
            if expect:
                r, _, _ = select.select([self.up], [], [], 1.0)
                if r:
                    st_line = read_line(self.up_rfile, UpstreamGone)
                    st_head, st_fields = read_head(self.up_rfile, UpstreamGone)
                    st = int(st_line.split()[1])
                    if st == 100:
                        self.send(st_line + st_head)
                    else:
                        final_early = (st_line, st_head, st_fields, st)
            if final_early is None:
                try:
                    for piece in self.body_pieces(self.rfile, kind, ClientGone):
                        self.up_send(piece)
                except UpstreamGone:
                    # The server may have answered early and hung up: relay
                    # that answer if it is there (then end the connection).
                    bytes_in = self.payload
                    client_close = True
                    if self.up is None:
                        raise
                    try:
                        self.up.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                bytes_in = self.payload
            else:
                # The server answered without wanting the body: relay, then
                # end the connection, as the client may or may not send it.
                client_close = True

            # the response (skipping, but relaying, other 1xx)
            while True:
                if final_early is not None:
                    st_line, st_head, st_fields, st = final_early
                    final_early = None
                else:
                    st_line = read_line(self.up_rfile, UpstreamGone)
                    st_head, st_fields = read_head(self.up_rfile, UpstreamGone)
                    st = int(st_line.split()[1])
                if 100 <= st < 200 and st != 101:
                    self.send(st_line + st_head)
                    continue
                break
            status = st
            if method.upper() == "HEAD" or st in (204, 304) or 100 <= st < 200:
                rkind = ("length", 0)
            else:
                te = header(st_fields, "transfer-encoding")
                cl = header(st_fields, "content-length")
                if te is not None and "chunked" in te.lower():
                    rkind = ("chunked", 0)
                elif cl is not None:
                    rkind = ("length", int(cl))
                else:
                    rkind = ("close", 0)
            server_close = (has_token(st_fields, "connection", "close")
                            or rkind[0] == "close"
                            or st_line.startswith(b"HTTP/1.0"))

            if name == "reset-response":
                return self.cut_response(rule, method, target, st_line + st_head,
                                         rkind, status, bytes_in, action)
            if name == "stall-response":
                self.read_body(rkind)
                self.p.log(method, target, status, bytes_in, 0, action)
                return self.hold()
            if name == "length" and method.upper() == "HEAD":
                st_head = re.sub(rb"(?im)^content-length:[^\r\n]*",
                                 b"Content-Length: %d" % int(action.partition(":")[2] or 0),
                                 st_head)
            if name == "tokens" and st == 200:
                body = self.read_body(rkind)
                self.p.log(method, target, status, bytes_in, len(body), action)
                self.send_listing(rule, st_line, st_head, body)
                if server_close:
                    self.close_upstream()
                if client_close:
                    self.close()
                    return False
                return True

            self.send(st_line + st_head)
            bytes_out = self.relay_body(rkind, corrupt=(name == "corrupt"))
            self.p.log(method, target, status, bytes_in, bytes_out, action)
            if server_close:
                self.close_upstream()
            if client_close or rkind[0] == "close":
                self.close()
                return False
            return True
        except UpstreamGone:
            self.p.log(method, target, status, bytes_in, bytes_out,
                       action + ",upstream-broke")
            self.close(hard=True)
            return False
        except ClientGone:
            self.p.log(method, target, status, bytes_in, bytes_out,
                       action + ",client-broke")
            self.close(hard=True)
            return False

    def hold(self):
        """Answer nothing until the client goes (or we exit); False: the
        connection is over."""
        self.close_upstream()
        while True:
            try:
                if not self.sock.recv(PIECE):
                    break
            except OSError:
                break
        self.close()
        return False

    def read_body(self, rkind):
        """Read a whole response body from the server (listings are small)."""
        k, n = rkind
        if k == "length":
            data = b""
            while len(data) < n:
                piece = self.up_rfile.read1(min(n - len(data), PIECE))
                if not piece:
                    raise UpstreamGone("EOF in body")
                data += piece
            return data
        if k == "close":
            data = self.up_rfile.read()
            return data or b""
        data = b""
        while True:
            line = read_line(self.up_rfile, UpstreamGone)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while read_line(self.up_rfile, UpstreamGone) not in (b"\r\n", b"\n"):
                    pass
                return data
            data += self.up_rfile.read(size)
            read_line(self.up_rfile, UpstreamGone)

    def next_token(self, rule, body=None):
        """The rule's next continuation token; remembers BODY as its listing."""
        key = json.dumps(rule, sort_keys=True)
        with self.p.state_lock:
            st = self.p.state.setdefault(key, {"k": 0, "body": b""})
            k = st["k"]
            st["k"] += 1
            if body is not None:
                st["body"] = body
            saved = st["body"]
        tokens = rule.get("tokens")
        if tokens == "unique" or not tokens:
            token = "faultproxy-unique-%d" % (k + 1)
        else:
            token = str(tokens[k % len(tokens)])
        return token, saved

    def send_listing(self, rule, st_line, st_head, body):
        token, _ = self.next_token(rule, body)
        out = rewrite_listing(body, token)
        head = b"".join(l + b"\r\n" for l in st_head.split(b"\r\n")
                        if l and not re.match(rb"(?i)(content-length|transfer-encoding):", l))
        self.send(st_line + head + b"Content-Length: %d\r\n\r\n" % len(out) + out)

    def answer_listing(self, rule, method, target, kind, client_close, action):
        got = self.drain_body(kind)
        token, saved = self.next_token(rule)
        out = rewrite_listing(saved or b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                              b"<ListBucketResult></ListBucketResult>", token)
        self.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                  b"Content-Length: %d\r\n%s\r\n" % (len(out), b"Connection: close\r\n"
                                                     if client_close else b"") + out)
        self.p.log(method, target, 200, got, len(out), action)
        if client_close:
            self.close()
            return False
        return True

    def relay_body(self, rkind, corrupt=False):
        """Relay the response body; returns its payload size."""
        k, n = rkind
        if k == "close":
            sent = 0
            while True:
                try:
                    data = self.up_rfile.read1(PIECE)
                except OSError:
                    data = b""
                if not data:
                    break
                if corrupt and sent == 0:
                    data = flip(data, len(data) // 2)
                    corrupt = False
                self.send(data)
                sent += len(data)
            return sent
        if k == "length":
            target = n // 2
            sent = 0
            left = n
            while left > 0:
                data = self.up_rfile.read1(min(left, PIECE))
                if not data:
                    raise UpstreamGone("EOF in body")
                if corrupt and sent <= target < sent + len(data):
                    data = flip(data, target - sent)
                self.send(data)
                sent += len(data)
                left -= len(data)
            return sent
        # chunked: relay the framing as is, count the payload
        payload = 0
        first = True
        while True:
            line = read_line(self.up_rfile, UpstreamGone)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            self.send(line)
            if size == 0:
                while True:
                    t = read_line(self.up_rfile, UpstreamGone)
                    self.send(t)
                    if t in (b"\r\n", b"\n"):
                        return payload
            target = size // 2 if (corrupt and first) else -1
            first = False
            done = 0
            while done < size:
                data = self.up_rfile.read1(min(size - done, PIECE))
                if not data:
                    raise UpstreamGone("EOF in chunk")
                if done <= target < done + len(data):
                    data = flip(data, target - done)
                self.send(data)
                done += len(data)
            payload += size
            self.send(read_line(self.up_rfile, UpstreamGone))

    def cut_response(self, rule, method, target, head, rkind, status, bytes_in,
                     action):
        k, n = rkind
        want = rule.get("bytes")
        if k == "length" and n == 0:
            # Nothing to cut in the body: cut inside the headers, with a
            # reset (curl takes headers ended by a FIN as a whole response).
            # The status line goes first, so the client has read something
            # and does not retry as on a stale keep-alive connection.
            self.send(head.split(b"\r\n", 1)[0] + b"\r\n")
            time.sleep(0.05)
            self.p.log(method, target, status, bytes_in, 0, action)
            self.close(hard=True)
            return False
        else:
            self.send(head)
            if want is None:
                want = min(n // 2, 16) if k == "length" else 16
            want = max(int(want), 0)
            if k == "length":
                want = min(want, max(n - 1, 0))
            sent = 0
            if k == "chunked":
                # relay raw bytes (framing included) up to WANT payload bytes
                line = read_line(self.up_rfile, UpstreamGone)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                self.send(line)
                data = self.up_rfile.read(min(size, want)) if size else b""
                self.send(data)
                sent = len(data)
            else:
                while sent < want:
                    data = self.up_rfile.read1(want - sent)
                    if not data:
                        break
                    self.send(data)
                    sent += len(data)
        self.p.log(method, target, status, bytes_in, sent, action)
        self.close()
        return False


def query_param(query, name):
    """The decoded value of NAME in the raw query string, or None."""
    from urllib.parse import parse_qs
    values = parse_qs(query, keep_blank_values=True).get(name)
    return values[0] if values else None


def is_our_token(rule, token):
    tokens = rule.get("tokens")
    if tokens == "unique" or not tokens:
        return token.startswith("faultproxy-unique-")
    return token in [str(t) for t in tokens]


def rewrite_listing(body, token):
    """BODY (a ListBucketResult) saying it is truncated, TOKEN its next token."""
    tok = (token.replace("&", "&amp;").replace("<", "&lt;")
           .replace(">", "&gt;")).encode()
    body = re.sub(rb"<IsTruncated>[^<]*</IsTruncated>", b"", body)
    body = re.sub(rb"<NextContinuationToken>[^<]*</NextContinuationToken>", b"", body)
    return body.replace(b"</ListBucketResult>",
                        b"<IsTruncated>true</IsTruncated><NextContinuationToken>" + tok +
                        b"</NextContinuationToken></ListBucketResult>")


def flip(data, i):
    b = bytearray(data)
    b[i] ^= 0x01
    return bytes(b)


def watch(pid):
    """Exit once process PID is gone or a zombie (not reaped yet)."""
    while True:
        time.sleep(0.3)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                stat = f.read()
            if stat[stat.rindex(b")") + 2:][:1] in (b"Z", b"X"):
                os._exit(0)
        except (OSError, ValueError):
            pass


def main():
    ap = argparse.ArgumentParser(description="fault-injecting HTTP proxy for tests")
    ap.add_argument("--upstream", required=True, help="HOST:PORT to forward to")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--rules")
    ap.add_argument("--log")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--watch-pid", type=int, default=0)
    args = ap.parse_args()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: os._exit(0))
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    if args.watch_pid > 0:
        threading.Thread(target=watch, args=(args.watch_pid,), daemon=True).start()
    proxy = Proxy(args)
    try:
        proxy.serve(args.port_file)
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
