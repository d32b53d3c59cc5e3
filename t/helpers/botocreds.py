#!/usr/bin/env python3
"""Prints how botocore resolves AWS credentials, for t/t6360, for many
cases in one run: each line of standard input is a case, words separated
by spaces: VAR=VALUE settings of the environment (applied to this
process's environment as it started) and last, optionally, "profile=NAME"
(an explicit profile, as a remote's --profile).  For each case one line is
printed: "METHOD ACCESS_KEY_ID" (METHOD as botocore names its providers:
env, shared-credentials-file, custom-process, config-file, container-role,
iam-role, ...), "none" when it finds none, or "error CLASS" when it fails.
It never prints a secret.  botocore's credential providers ignore
AWS_ENDPOINT_URL_STS: BOTOCREDS_STS_ENDPOINT=URL sends their STS calls
there (to the fake of t/helpers/fake-aws.py)."""
import os
import sys

import botocore.session


def redirect_sts(url):
    create = botocore.session.Session.create_client

    def create_client(self, service_name, *args, **kwargs):
        if service_name == "sts":
            kwargs["endpoint_url"] = url
        return create(self, service_name, *args, **kwargs)

    botocore.session.Session.create_client = create_client


def resolve(words, base):
    os.environ.clear()
    os.environ.update(base)
    profile = None
    for w in words:
        name, _, value = w.partition("=")
        if name == "profile":
            profile = value
        else:
            os.environ[name] = value
    try:
        session = botocore.session.Session(profile=profile)
        creds = session.get_credentials()
        if creds is None:
            return "none"
        frozen = creds.get_frozen_credentials()
        return "%s %s" % (creds.method, frozen.access_key)
    except Exception as e:  # botocore lets some through (KeyError)
        return "error %s" % type(e).__name__


def main():
    if os.environ.get("BOTOCREDS_STS_ENDPOINT"):
        redirect_sts(os.environ["BOTOCREDS_STS_ENDPOINT"])
    base = dict(os.environ)
    cases = sys.stdin.read().splitlines()
    # a credential_process botocore runs inherits our standard input
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for line in cases:
        print(resolve(line.split(), base), flush=True)


main()
