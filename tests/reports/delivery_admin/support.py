"""A mail server on 127.0.0.1 that refuses every recipient for good (550), as a provider's
server does for an abuse address that no longer exists."""

import socketserver
import threading

REFUSAL = "550 5.1.1 <abuse> mailbox unavailable"


class _RefusingSession(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 mx.provider.example ESMTP\r\n")
        for raw in self.rfile:
            command = raw.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                reply = "250 mx.provider.example"
            elif command.startswith("RCPT"):
                reply = REFUSAL
            elif command.startswith("QUIT"):
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                reply = "250 ok"
            self.wfile.write(f"{reply}\r\n".encode())


class RefusingMailServer:
    def __enter__(self):
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RefusingSession)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
