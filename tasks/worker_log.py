"""The worker's log: our modules' records go wherever huey_consumer sends its own.

huey_consumer configures only the ``huey`` logger (its ``-l`` file, its ``-v``/``-q``
level, its format) and does so after importing ``huey_config``. Without a relay the INFO
lines of ``tasks.*`` (a superseded run stopping, a stale message dropped, the VACUUM after
a publish) went nowhere, and warnings reached stderr through Python's last-resort handler
with no time, level or worker on them.
"""

from __future__ import annotations

import logging

CONSUMER_LOGGER = "huey"


class ConsumerLogRelay(logging.Handler):
    """Hands each record to the consumer's handlers, at the consumer's level.

    Looked up per record rather than copied once, because the consumer sets its handlers
    up only after it has imported the module that installs this relay.
    """

    def emit(self, record: logging.LogRecord) -> None:
        consumer = logging.getLogger(CONSUMER_LOGGER)
        if record.levelno < consumer.getEffectiveLevel():
            return
        for handler in consumer.handlers:
            if record.levelno >= handler.level:
                handler.handle(record)


def relay_to_consumer_log(name: str = "tasks") -> None:
    """Send the records of logger ``name`` (and its children) to the consumer's log.

    Idempotent. The level is left to the consumer (``-v`` shows our DEBUG lines too).
    """
    logger = logging.getLogger(name)
    if not any(isinstance(h, ConsumerLogRelay) for h in logger.handlers):
        logger.addHandler(ConsumerLogRelay())
    logger.setLevel(logging.DEBUG)
