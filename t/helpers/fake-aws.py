#!/usr/bin/env python3
"""A fake of the AWS credential endpoints, for t/t6360: the ECS container
credentials endpoint, EC2 instance metadata (IMDSv2) and STS
AssumeRoleWithWebIdentity (POST /), on 127.0.0.1.

Usage: fake-aws.py PORTFILE STATEFILE LOGFILE
It listens on a free port of 127.0.0.1, writes the port to PORTFILE, and
stops when its parent process ends.  At each request it reads STATEFILE, a
JSON object (all members optional):
  "key", "secret", "token": the credentials it gives (S3RVER, S3RVER, none)
  "minutes": Expiration that many minutes from now (default 60)
  "auth": the Authorization header the container endpoint wants (none: any)
  "status": answer every request with this HTTP status and no body
  "body": answer credential requests with this body instead
  "imdsv1": true: the token PUT answers 404 and GETs need no token
  "role": the role name (default "mlreg-role")
  "web_token": the WebIdentityToken STS wants (none: any)
  "sts_error": STS answers 400 with this error Code
  "source_key", "source_secret": the keys AssumeRole must be signed with
  (S3RVER, S3RVER); its signature is checked with botocore's signer
and appends one line to LOGFILE: METHOD PATH then, for IMDS requests,
"token=ok|bad|none", for container ones "auth=ok|bad|none", for STS ones
"action=A version=V role=ARN session=NAME token=ok|bad" (web identity) or
"action=AssumeRole role=ARN session=NAME external_id=ID sig=ok|bad|none"
(never a secret).
"""
import datetime
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

PORTFILE, STATEFILE, LOGFILE = sys.argv[1:4]
TOKEN = "imds-session-token-0123456789"
ROLES = "/latest/meta-data/iam/security-credentials/"


def state():
    try:
        with open(STATEFILE) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def creds(st, token_key="Token"):
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        minutes=st.get("minutes", 60))
    d = {"AccessKeyId": st.get("key", "S3RVER"),
         "SecretAccessKey": st.get("secret", "S3RVER"),
         "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if st.get("token"):
        d[token_key] = st["token"]
    return d


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self, extra):
        with open(LOGFILE, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path, extra))

    def answer(self, status, body=b"", ctype="application/json"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def imds_token(self, st):
        got = self.headers.get("X-aws-ec2-metadata-token")
        if got is None:
            return "none"
        return "ok" if got == TOKEN else "bad"

    def do_PUT(self):
        st = state()
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        self.log("ttl=%s" % ttl)
        if "status" in st:
            return self.answer(st["status"])
        if self.path != "/latest/api/token":
            return self.answer(404)
        if st.get("imdsv1"):
            return self.answer(404)
        if not ttl:
            return self.answer(400)
        self.answer(200, TOKEN, "text/plain")

    def sigv4(self, body, st):
        """Returns "ok" when the request is SigV4-signed for sts with the
        key id and secret of st's source_key / source_secret (default
        S3RVER), checked by botocore's own signer; "bad" or "none" else."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        auth = self.headers.get("Authorization")
        if not auth:
            return "none"
        try:
            fields = dict(f.strip().split("=", 1) for f in auth.split(" ", 1)[1].split(","))
            akid, _, region, service, _ = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
            headers = {h: self.headers[h] for h in signed}
            req = AWSRequest(method="POST", url="http://%s/" % self.headers["Host"],
                             data=body, headers=headers)
            req.context["timestamp"] = self.headers["X-Amz-Date"]
            signer = SigV4Auth(Credentials(st.get("source_key", "S3RVER"),
                                           st.get("source_secret", "S3RVER"),
                                           self.headers.get("X-Amz-Security-Token")),
                               service, region)
            want = signer.signature(signer.string_to_sign(req, signer.canonical_request(req)),
                                    req)
            return "ok" if (service == "sts" and akid == st.get("source_key", "S3RVER")
                            and fields["Signature"] == want) else "bad"
        except Exception:
            return "bad"

    def do_POST(self):
        st = state()
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
        one = lambda k: form.get(k, [""])[0]
        if one("Action") == "AssumeRole":
            sig = self.sigv4(raw, st)
            self.log("action=AssumeRole role=%s session=%s external_id=%s sig=%s" % (
                one("RoleArn"), one("RoleSessionName"), one("ExternalId"), sig))
            if sig != "ok":
                return self.answer(403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch"
                                   "</Code></Error></ErrorResponse>", "text/xml")
            d = creds(st, "SessionToken")
            d.setdefault("SessionToken", "sts-session-token")
            return self.answer(200, "<AssumeRoleResponse><AssumeRoleResult><Credentials>%s"
                               "</Credentials></AssumeRoleResult></AssumeRoleResponse>" %
                               "".join("<%s>%s</%s>" % (k, v, k) for k, v in d.items()),
                               "text/xml")
        want = st.get("web_token")
        tok = "ok" if want is None or one("WebIdentityToken") == want else "bad"
        self.log("action=%s version=%s role=%s session=%s token=%s ctype=%s" % (
            one("Action"), one("Version"), one("RoleArn"), one("RoleSessionName"), tok,
            self.headers.get("Content-Type", "").split(";")[0]))
        if "status" in st:
            return self.answer(st["status"])
        code = st.get("sts_error") or (None if tok == "ok" else "InvalidIdentityToken")
        if code:
            return self.answer(400, "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>"
                               "<Message>no %s</Message></Error></ErrorResponse>"
                               % (code, one("WebIdentityToken")), "text/xml")
        if "body" in st:
            return self.answer(200, st["body"], "text/xml")
        d = creds(st, "SessionToken")
        d.setdefault("SessionToken", "sts-session-token")
        xml = ("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/"
               "2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials>%s"
               "</Credentials></AssumeRoleWithWebIdentityResult>"
               "</AssumeRoleWithWebIdentityResponse>" %
               "".join("<%s>%s</%s>" % (k, v, k) for k, v in d.items()))
        self.answer(200, xml, "text/xml")

    def do_GET(self):
        st = state()
        if self.path.startswith("/latest/"):
            tok = self.imds_token(st)
            self.log("token=%s" % tok)
            if "status" in st:
                return self.answer(st["status"])
            if tok != "ok" and not (st.get("imdsv1") and tok == "none"):
                return self.answer(401)
            role = st.get("role", "mlreg-role")
            if self.path == ROLES:
                return self.answer(200, role + "\n", "text/plain")
            if self.path == ROLES + role:
                if "body" in st:
                    return self.answer(200, st["body"])
                d = creds(st)
                d["Code"] = "Success"
                return self.answer(200, json.dumps(d))
            return self.answer(404)
        auth = self.headers.get("Authorization")
        want = st.get("auth")
        verdict = "none" if auth is None else ("ok" if auth == want else "bad")
        self.log("auth=%s" % verdict)
        if "status" in st:
            return self.answer(st["status"])
        if want is not None and auth != want:
            return self.answer(401)
        if "body" in st:
            return self.answer(200, st["body"])
        self.answer(200, json.dumps(creds(st)))


def watch_parent(ppid):
    while os.getppid() == ppid:
        time.sleep(0.5)
    os._exit(0)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, PORTFILE)
    server.serve_forever()


main()
