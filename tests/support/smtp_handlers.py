"""aiosmtpd handlers for Paperboy's tests (loaded with `-c smtp_handlers.Name`)."""

from aiosmtpd.handlers import Mailbox


class RefusingMailbox(Mailbox):
    """Files messages like Mailbox, but refuses for good (550) every recipient whose address
    starts with "gone", as a server does for a mailbox that no longer exists."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"
