"""What the test servers share: announce the port on stdout, then serve until stdin closes (the
test process ended, however it ended), so no server outlives its tests."""
import os
import sys
import threading


def serve_until_stdin_closes(server):
    print(server.server_port, flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()
