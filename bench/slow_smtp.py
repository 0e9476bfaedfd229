# SPDX-License-Identifier: Apache-2.0
"""An aiosmtpd handler that takes SLOW_SMTP_DELAY seconds (default 0.2) per
message and keeps nothing: the slow mail server of bench/otp-run."""
import asyncio
import os


class Slow:
    def __init__(self):
        self.delay = float(os.environ.get("SLOW_SMTP_DELAY", "0.2"))

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return "250 OK"
