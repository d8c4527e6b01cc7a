#!/usr/bin/env python3
"""A loopback HTTP proxy in front of an S3 server that injects faults, for the remote tests.

    fault_proxy.py UPSTREAM_PORT FAULTS [--verify-secret SECRET]

FAULTS is a comma-separated list; "kind:N" hits the first N attempts of every distinct request
(method, path, query, Range), so a client that retries always gets through in the end:
    drop:N      close the connection without an answer
    500:N       500 InternalError
    slowdown:N  503 SlowDown
    truncate:N  GETs: the headers promise the whole body, half of it comes, the connection closes
and these hit every request:
    always503   503 SlowDown
    denied      403 InvalidAccessKeyId
    skew        403 RequestTimeTooSkewed, with a Date an hour ahead
    none        pass everything through
With --verify-secret, each request's SigV4 signature is recomputed with botocore's signer (the
reference implementation) and the body checked against x-amz-content-sha256; a mismatch is
answered 403 SignatureDoesNotMatch (or 400 XAmzContentSHA256Mismatch) as S3 does.

Prints its port on stdout and serves until stdin closes (loopback.py); every injected fault is
logged on stderr as a line starting FAULT.
"""
import email.utils
import hashlib
import http.client
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from loopback import serve_until_stdin_closes

UPSTREAM = int(sys.argv[1])
FAULTS = {}
ALWAYS = None
for item in sys.argv[2].split(","):
    if ":" in item:
        kind, n = item.split(":")
        FAULTS[kind] = int(n)
    elif item != "none":
        ALWAYS = item
SECRET = sys.argv[sys.argv.index("--verify-secret") + 1] if "--verify-secret" in sys.argv else None
attempts = {}
lock = threading.Lock()


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def s3_error(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>' % (code, message)).encode()


def signature_problem(method, path, headers, body):
    """None when the request is signed as botocore would sign it, else what is wrong."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "not SigV4: %r" % auth[:40]
    fields = dict(part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    key, date, region, service, _ = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    payload = headers.get("x-amz-content-sha256")
    if payload is None:
        return "no x-amz-content-sha256 header"
    if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
        return "payload-hash"
    req = AWSRequest(method=method, url="http://%s%s" % (headers["Host"], path),
                     headers={h: headers[h] for h in signed if h in headers}, data=body)
    req.context["timestamp"] = headers["x-amz-date"]
    token = headers.get("x-amz-security-token")
    signer = S3SigV4Auth(Credentials(key, SECRET, token), service, region)
    string_to_sign = signer.string_to_sign(req, signer.canonical_request(req))
    expected = signer.signature(string_to_sign, req)
    if expected != fields["Signature"]:
        return "signature (canonical request:\n%s)" % signer.canonical_request(req)
    return None


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        key = (self.command, self.path, self.headers.get("Range"))
        with lock:
            attempts[key] = attempts.get(key, 0) + 1
            n = attempts[key]
        if SECRET is not None:
            problem = signature_problem(self.command, self.path, self.headers, body)
            if problem == "payload-hash":
                log("FAULT sigv4 payload %s %s" % key[:2])
                return self.answer(400, s3_error("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."))
            if problem:
                log("FAULT sigv4 %s %s: %s" % (key[0], key[1], problem))
                return self.answer(403, s3_error("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."))
        if ALWAYS == "always503":
            log("FAULT always503 %s %s" % key[:2])
            return self.answer(503, s3_error("SlowDown", "Please reduce your request rate."))
        if ALWAYS == "denied":
            log("FAULT denied %s %s" % key[:2])
            return self.answer(403, s3_error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."))
        if ALWAYS == "skew":
            log("FAULT skew %s %s" % key[:2])
            ahead = email.utils.formatdate(time.time() + 3600, usegmt=True)
            return self.answer(403, s3_error("RequestTimeTooSkewed", "The difference between the request time and the current time is too large."),
                               [("Date", ahead)])
        if n <= FAULTS.get("drop", 0):
            log("FAULT drop %s %s" % key[:2])
            self.close_connection = True
            return
        if n <= FAULTS.get("500", 0):
            log("FAULT 500 %s %s" % key[:2])
            return self.answer(500, s3_error("InternalError", "We encountered an internal error. Please try again."))
        if n <= FAULTS.get("slowdown", 0):
            log("FAULT slowdown %s %s" % key[:2])
            return self.answer(503, s3_error("SlowDown", "Please reduce your request rate."))
        up = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "expect")}
        up.request(self.command, self.path, body=body if body else None, headers=headers)
        resp = up.getresponse()
        data = resp.read()
        up.close()
        truncate = self.command == "GET" and resp.status in (200, 206) and len(data) > 1 and n <= FAULTS.get("truncate", 0)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if truncate:
            log("FAULT truncate %s %s" % key[:2])
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = handle_any


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    serve_until_stdin_closes(server)


if __name__ == "__main__":
    main()
