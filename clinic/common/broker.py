"""Sending Celery tasks without letting a dead broker hang or break the user's request."""

from __future__ import annotations

# Few publish retries: a request must not hang on a dead broker; the periodic sweeps send
# the job again every minute.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


def broker_errors() -> tuple[type[BaseException], ...]:
    """What publishing raises when the broker cannot be reached."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (OperationalError, RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
