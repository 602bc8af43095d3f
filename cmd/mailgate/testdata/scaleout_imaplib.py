"""Log in with Python's imaplib (through nginx, in TestNginxScaleOut), once
for each USER:PASSWORD argument after HOST and PORT, and print a JSON list
with, for each login, either its error or the subjects of the messages in
INBOX. One process for all logins: starting Python is the slow part.
With MG_SOURCE set, connections come from that local address, so that
the nodes behind the proxy can show they see it."""
import imaplib
import json
import os
import socket
import sys

SOURCE = os.environ.get("MG_SOURCE")
if SOURCE:
    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout, source_address=(SOURCE, 0))
    imaplib.IMAP4._create_socket = _create_socket


def session(host, port, user, password):
    try:
        M = imaplib.IMAP4(host, port)
        M.login(user, password)
    except (imaplib.IMAP4.error, OSError) as e:
        return {"error": str(e)}
    typ, data = M.select("INBOX")
    subjects = []
    if int(data[0]) > 0:
        typ, data = M.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        for item in data:
            if isinstance(item, tuple):
                subjects.append(item[1].decode().strip().removeprefix("Subject: "))
    M.logout()
    return {"subjects": subjects}


host, port = sys.argv[1], int(sys.argv[2])
print(json.dumps([session(host, port, *arg.split(":", 1)) for arg in sys.argv[3:]]))
