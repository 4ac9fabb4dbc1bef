"""Kombu's Redis transport, with the one change that keeps a worker alive when Redis drops.

When the broker connection is lost, Celery's consumer first ``collect()``s the connection, which
can detach the transport from it while the channel is left half closed, and then ``close()``s
it; closing the channel hands its unacknowledged messages (every ETA wake-up the worker holds)
back to Redis through a new connection pool, built from the detached, now missing, connection
parameters: ``AttributeError: 'NoneType' object has no attribute 'hostname'``. Celery treats
that as unrecoverable and the worker exits (kombu 5.7.0, the latest release; kombu #582 is the
same path). Here a detached channel answers with the connection error the close path already
tolerates: the messages stay in Redis's unacknowledged set, which hands them out again after the
visibility timeout, and the consumer reconnects as it does for any other broker error.
"""

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
