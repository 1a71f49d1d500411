"""The tests' SMTP server: aiosmtpd filing every message in a maildir, with one change so that
it behaves like Postfix, Exim or qmail at the end of a message.

Those servers queue a message as soon as its end-of-data marker (the final `.`) has been read,
even if the client disconnects before reading the reply. Stock aiosmtpd instead cancels its
handler the moment the connection reports end-of-file, which can drop a message whose `.` had
already arrived. A sender that is killed right after its `.` would then lose a message that a
production server would have delivered; here the handler finishes what has arrived.

    python3 smtp_server.py PORT MAILDIR [HANDLER]     HANDLER: Mailbox (default) or RefusingMailbox
"""

import asyncio
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP

from smtp_handlers import RefusingMailbox


class FinishesWhatArrived(SMTP):
    def eof_received(self):
        # Let the handler read what is already buffered; the stream ends after it.
        return asyncio.StreamReaderProtocol.eof_received(self)

    def connection_lost(self, error):
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        asyncio.StreamReaderProtocol.connection_lost(self, error)
        self.transport = None


class FinishingController(Controller):
    def factory(self):
        return FinishesWhatArrived(self.handler, **self.SMTP_kwargs)


def main():
    port, maildir = int(sys.argv[1]), sys.argv[2]
    handler = {"Mailbox": Mailbox, "RefusingMailbox": RefusingMailbox}[sys.argv[3] if len(sys.argv) > 3 else "Mailbox"]
    controller = FinishingController(handler(maildir), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
