#!/usr/bin/env python3
"""moto's S3 server (the app `moto_server` runs) on a free loopback port, for the remote tests.

Prints the port on stdout, then serves until stdin closes (see loopback.py). Requests with
If-Match / If-None-Match are handled one at a time: moto checks the condition and stores the object
in two steps of a threaded server, where S3 does both atomically; serialized, moto's conditional
writes are as atomic as S3's.
"""
import os
import threading

from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from loopback import serve_until_stdin_closes


def main():
    app = DomainDispatcherApplication(create_backend_app)
    conditional = threading.Lock()

    def serve(environ, start_response):
        if "HTTP_IF_MATCH" in environ or "HTTP_IF_NONE_MATCH" in environ:
            with conditional:
                return list(app(environ, start_response))
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, serve, threaded=True)
    os.environ["MOTO_PORT"] = str(server.server_port)
    serve_until_stdin_closes(server)


if __name__ == "__main__":
    main()
