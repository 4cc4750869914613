"""Stand-in for a Kubernetes worker's NodePorts in the lab.

Usage: worker.py [--pidfile FILE] NAME PORT...

Serves every PORT on all of the host's addresses. Each answer names the worker and the
port (body and X-Worker/X-Port headers); /healthz is the health check. The JSESSIONID
cookie makes a round trip: a request without one gets `Set-Cookie: JSESSIONID=<new id>`,
a request with one gets its value echoed in the body, so HAProxy's
`cookie JSESSIONID prefix` stickiness can be observed end to end.
"""
import argparse
import http.cookies
import http.server
import os
import secrets
import threading


def handler_for(name, port):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "lab-worker/1"

        def do_GET(self):
            headers = {"X-Worker": name, "X-Port": str(port), "Content-Type": "text/plain"}
            if self.path.split("?")[0] == "/healthz":
                body = "ok\n"
            else:
                jar = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
                session = jar["JSESSIONID"].value if "JSESSIONID" in jar else None
                if session is None:
                    session = secrets.token_hex(8)
                    headers["Set-Cookie"] = "JSESSIONID=%s; Path=/" % session
                body = "host=%s port=%d path=%s session=%s\n" % (name, port, self.path, session)
            data = body.encode()
            self.send_response(200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_HEAD = do_GET

        def log_message(self, *_):
            pass

    return Handler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pidfile")
    ap.add_argument("name")
    ap.add_argument("ports", nargs="+", type=int)
    args = ap.parse_args()
    servers = [Server(("0.0.0.0", p), handler_for(args.name, p)) for p in args.ports]
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
