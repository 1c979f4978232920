#!/usr/bin/env python3
"""Helpers for tools/servers: free ports, readiness polls, bucket/container
creation and Azure SharedKey signing.  Python standard library only.

Used as a command line by start.sh and as a module by check.py:

    serverlib.py free-port
    serverlib.py wait-http URL TIMEOUT_SECONDS [PID]
    serverlib.py s3-create-bucket ENDPOINT BUCKET
    serverlib.py az-create-container BLOB_URL CONTAINER
"""

import base64
import email.utils
import hashlib
import hmac
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# The well-known Azurite / Azure Storage Emulator account (public, not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
# Same service version object_store 0.14 sends.
AZURE_API_VERSION = "2023-11-03"

# Never send requests for 127.0.0.1 through a proxy that CI might set.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    """A port that was free on 127.0.0.1 a moment ago (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=b"", headers=None, timeout=10):
    """Send one request; return (status, headers, body) for any HTTP answer."""
    headers = dict(headers or {})
    data = body if method in ("PUT", "POST") else None
    if data is not None and not any(k.lower() == "content-type" for k in headers):
        # urllib would otherwise add a form content type (and break signatures)
        headers["Content-Type"] = "application/octet-stream"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def wait_http(url, timeout, pid=None):
    """Poll until the server gives any HTTP answer. Returns seconds waited."""
    start = time.monotonic()
    while True:
        try:
            request("GET", url, timeout=2)
            return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, socket.timeout, OSError):
            pass
        if pid is not None and not _alive(pid):
            raise SystemExit(f"server process {pid} exited before {url} answered")
        if time.monotonic() - start > timeout:
            raise SystemExit(f"{url} did not answer within {timeout} s")
        time.sleep(0.2)


# --- S3 ---------------------------------------------------------------------
# moto does not verify signatures, but it treats unsigned requests as an
# anonymous principal and applies ACLs: an anonymous PUT works, a later
# anonymous GET or overwrite of the same object gets 403 AccessDenied. So
# requests are SigV4-signed, as object_store signs them.

S3_TEST_CREDENTIALS = ("testing", "testing", "us-east-1")


def s3_sign(method, url, headers, body=b"", credentials=S3_TEST_CREDENTIALS):
    """Return `headers` plus host, x-amz-date, x-amz-content-sha256 and a
    SigV4 Authorization (service s3, path-style URL) signing all of them."""
    access_key, secret_key, region = credentials
    parts = urllib.parse.urlsplit(url)
    now = time.gmtime()
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", now)
    day = amz_date[:8]
    h = {k.lower(): str(v).strip() for k, v in headers.items()}
    h["host"] = parts.netloc
    h["x-amz-date"] = amz_date
    h["x-amz-content-sha256"] = hashlib.sha256(body or b"").hexdigest()
    signed = sorted(k for k in h if k not in ("authorization", "user-agent", "expect"))
    query = sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    canonical = "\n".join([
        method.upper(),
        urllib.parse.quote(urllib.parse.unquote(parts.path) or "/", safe="/-_.~"),
        "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                 for k, v in query),
        "".join(f"{k}:{h[k]}\n" for k in signed),
        ";".join(signed),
        h["x-amz-content-sha256"],
    ])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope,
        hashlib.sha256(canonical.encode()).hexdigest(),
    ])

    def mac(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(mac(f"AWS4{secret_key}".encode(), day), region), "s3"), "aws4_request")
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                          f"SignedHeaders={';'.join(signed)}, Signature={sig}")
    return h


def s3_request(method, url, body=b"", headers=None, credentials=S3_TEST_CREDENTIALS):
    return request(method, url, body, s3_sign(method, url, dict(headers or {}), body, credentials))


def s3_create_bucket(endpoint, bucket):
    status, _, body = s3_request("PUT", f"{endpoint.rstrip('/')}/{bucket}")
    if status not in (200, 409):  # 409: BucketAlreadyOwnedByYou on a re-run
        raise SystemExit(f"S3 create bucket {bucket}: HTTP {status}: {body[:300]!r}")
    return status


# --- Azure Blob SharedKey ---------------------------------------------------

def az_sign(method, url, headers, account=AZURITE_ACCOUNT, key=AZURITE_KEY):
    """Add x-ms-date, x-ms-version and a SharedKey Authorization to `headers`.

    String-to-sign as documented for service version 2015-02-21 and later.
    For path-style (emulator) URLs the path already starts with /ACCOUNT, so
    the canonicalized resource is /ACCOUNT/ACCOUNT/container/blob, exactly
    what object_store signs.
    """
    h = {k.lower(): str(v) for k, v in headers.items()}
    h.setdefault("x-ms-date", email.utils.formatdate(usegmt=True))
    h.setdefault("x-ms-version", AZURE_API_VERSION)
    length = h.get("content-length", "")
    if length == "0":
        length = ""
    fields = [
        method.upper(),
        h.get("content-encoding", ""),
        h.get("content-language", ""),
        length,
        h.get("content-md5", ""),
        h.get("content-type", ""),
        "",  # Date: x-ms-date is used instead
        h.get("if-modified-since", ""),
        h.get("if-match", ""),
        h.get("if-none-match", ""),
        h.get("if-unmodified-since", ""),
        h.get("range", ""),
    ]
    canon_headers = "".join(
        f"{k}:{h[k].strip()}\n" for k in sorted(k for k in h if k.startswith("x-ms-"))
    )
    parts = urllib.parse.urlsplit(url)
    resource = f"/{account}{parts.path}"
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    for name in sorted(query, key=str.lower):
        resource += f"\n{name.lower()}:{','.join(sorted(query[name]))}"
    to_sign = "\n".join(fields) + "\n" + canon_headers + resource
    sig = base64.b64encode(
        hmac.new(base64.b64decode(key), to_sign.encode("utf-8"), hashlib.sha256).digest()
    ).decode()
    h["authorization"] = f"SharedKey {account}:{sig}"
    return h


def az_request(method, url, body=b"", headers=None):
    headers = dict(headers or {})
    if method in ("PUT", "POST"):
        headers["Content-Length"] = str(len(body))
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/octet-stream"
    return request(method, url, body, az_sign(method, url, headers))


def az_create_container(blob_url, container, account=AZURITE_ACCOUNT):
    url = f"{blob_url.rstrip('/')}/{account}/{container}?restype=container"
    status, _, body = az_request("PUT", url)
    if status not in (201, 409):  # 409: ContainerAlreadyExists on a re-run
        raise SystemExit(f"Azure create container {container}: HTTP {status}: {body[:300]!r}")
    return status


def main(argv):
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if cmd == "free-port" and not args:
        print(free_port())
    elif cmd == "wait-http" and len(args) in (2, 3):
        waited = wait_http(args[0], float(args[1]), int(args[2]) if len(args) == 3 else None)
        print(f"{waited:.1f}")
    elif cmd == "s3-create-bucket" and len(args) == 2:
        print(s3_create_bucket(*args))
    elif cmd == "az-create-container" and len(args) == 2:
        print(az_create_container(*args))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
