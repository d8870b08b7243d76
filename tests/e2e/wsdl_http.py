#!/usr/bin/env python3
"""Serves a directory of WSDL/XSD files the way WCF publishes them:
PATH?wsdl -> file "wsdl", ?wsdl=wsdl0 -> "wsdl0", ?xsd=xsd0 -> "xsd0",
?singleWsdl -> "singleWsdl"; @BASE@ in a file becomes http://127.0.0.1:PORT/PATH.
Listens on 127.0.0.1, an ephemeral port, written to PORTFILE once bound."""
import http.server, os, sys, urllib.parse

root, portfile = sys.argv[1], sys.argv[2]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = u.query
        name = {"wsdl": "wsdl", "singleWsdl": "singleWsdl"}.get(q)
        if name is None and "=" in q and q.split("=", 1)[0] in ("wsdl", "xsd"):
            name = q.split("=", 1)[1]
        path = os.path.join(root, name) if name and "/" not in name and not name.startswith(".") else None
        if not path or not os.path.isfile(path):
            self.send_error(404)
            return
        base = "http://127.0.0.1:%d%s" % (self.server.server_address[1], u.path)
        body = open(path, "rb").read().replace(b"@BASE@", base.encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass

srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
