"""The one Huey instance, built from settings.

Run the worker with::

    huey_consumer huey_config.huey -k process -w 2 -g TERM -t 30
"""

from tasks.backend import current_backend
from tasks.sync import register_sync_task
from tasks.worker_log import relay_to_consumer_log

relay_to_consumer_log()
huey = current_backend().huey
proxy_sync = register_sync_task(huey)
