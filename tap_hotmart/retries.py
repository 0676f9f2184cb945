"""Every retry and limit of the tap: what is sent again, how long to wait, when to stop.

Each number stands on Hotmart's documented behaviour where Hotmart documents it (the
facts file of the steering repository, `hotmart-api-facts.md`, cited as "facts §section"
with its confidence, H/M/L) and says so where it is our own choice. Who applies what:

* a 5xx, a body cut short or not JSON, a dropped connection or a timeout of an API
  request: the Singer SDK's backoff, through its hooks on `HotmartStream`
  (`backoff_wait_generator`, `backoff_max_tries`, `backoff_handler`);
* a 429: no failure, a wait. The account's `RateLimiter` holds every thread of the account
  until Hotmart's `RateLimit-Reset`, then the request goes again (`RateLimitWaits`). The
  SDK's backoff cannot carry this: it waits per call, each thread on its own;
* a 401 for an expired token: a new token, once per request (`EXPIRED_TOKEN_ERRORS`);
* the token endpoint, called outside any stream: the same waits as the SDK's backoff
  (`retry_waits`), for fewer attempts (`TOKEN_ATTEMPTS`);
* a date window whose first page keeps failing: read in two halves, not retried to the
  end (`SERVER_ERRORS_BEFORE_SPLIT`).
"""

from __future__ import annotations

from collections.abc import Generator

import backoff
import requests
from singer_sdk.exceptions import RetriableAPIError

# The request budget --------------------------------------------------------------------

#: Hotmart allows 500 requests a minute per user/application, reads and writes together,
#: and answers 429 `too_many_requests` beyond (facts §2.5, H). The default of the
#: `requests_per_minute` setting; token requests count against it too (our choice: the
#: facts do not say they are free).
REQUESTS_PER_MINUTE = 500
#: The span that budget is counted over (facts §2.5, H: per minute). Also how long a budget
#: Hotmart announced lasts when the answer has no `RateLimit-Reset` (nor, on a 429, a
#: `Retry-After`, which Hotmart does not document: facts §2.5, M).
RATE_LIMIT_WINDOW_SECONDS = 60.0
#: Hotmart counts a request when it arrives, we count it when we send it: this margin
#: keeps our window from reopening a slot Hotmart still counts (our choice).
RATE_LIMIT_SAFETY_SECONDS = 0.5
#: The 429s one request waits out before a 429 counts as a failure. Each wait lasts until
#: `RateLimit-Reset`, the seconds until the minute's quota renews (facts §2.5, H); 429s
#: that keep coming mean the user's other tools spend the same budget (it is per
#: application, facts §2.5), and sharing it for about 20 minutes is tolerated (our choice).
MAX_RATE_LIMIT_WAITS = 20

# Failures retried with backoff ---------------------------------------------------------

#: What is retried: the failures the SDK's own `request_decorator` retries. Our
#: `TransientAPIError` (a 5xx, a body cut short or not JSON, a page without items) is a
#: `RetriableAPIError`.
RETRIED_ERRORS: tuple[type[Exception], ...] = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
#: The first wait; each later one doubles. Hotmart sends no `Retry-After` (facts §2.5, M)
#: and gives no retry advice for its 500 and 503 (facts §2.4), so the usual exponential
#: backoff.
FIRST_RETRY_WAIT_SECONDS = 1.0
#: The longest wait: Hotmart's rate-limit window (facts §2.5, H). Waiting longer cannot
#: be about the budget, which has renewed in full by then.
MAX_RETRY_WAIT_SECONDS = 60.0
#: Tries of one request in all: waits of 1 + 2 + 4 + 8 + 16 + 32 + 60 s, about two
#: minutes. A failure that outlasts them is an outage; the run stops, and the next one
#: resumes after its last complete window (our choice).
RETRY_TRIES = 8


def retry_waits() -> Generator[float, None, None]:
    """The waits between tries, before jitter: 1, 2, 4 ... s, never over a minute.

    A `backoff` wait generator: it yields once before the first wait.
    """
    return backoff.expo(base=2, factor=FIRST_RETRY_WAIT_SECONDS, max_value=MAX_RETRY_WAIT_SECONDS)


# Tokens --------------------------------------------------------------------------------

#: The 401 `error` values of an expired token (facts §1, H). Hotmart's advice is to ask
#: for a new token and send the request again; once, then fail (facts §6.10, H).
EXPIRED_TOKEN_ERRORS = frozenset({"token_expired", "invalid_token"})
#: Attempts at the token endpoint when it cannot be reached, answers a 5xx or a body that
#: cannot be read, with `retry_waits` between them (1, 2 and 4 s): few, since the endpoint
#: throttles repeated token requests (facts §6.15, M). No jitter: one thread of an
#: account asks at a time.
TOKEN_ATTEMPTS = 4

# Date ranges ---------------------------------------------------------------------------

#: Server errors in a row on the first page of a date window before the window is read
#: in halves. Hotmart answers 502 to a query that runs over 30 s and advises a narrower
#: date range (facts §2.4, H); the same range runs as long when tried again, whereas a
#: passing 5xx clears within the first waits of `retry_waits`. So the third error in a
#: row (after waits of 1 and 2 s) is taken for the timeout, long before `RETRY_TRIES`.
SERVER_ERRORS_BEFORE_SPLIT = 3

# How long one try may take -------------------------------------------------------------

#: Seconds to wait for an API answer. Hotmart ends a query at 30 s with a 502 (facts
#: §2.4, H); the rest is for sending up to 500 items (our choice). A read timeout is
#: retried like a 5xx. The connect timeout is `reach.CONNECT_TIMEOUT_SECONDS`. Also how
#: long an account's threads wait for the answer to the request that asks for a renewed
#: rate-limit budget before another may ask (`ratelimit`).
REQUEST_TIMEOUT_SECONDS = 120
#: Seconds to wait for the token endpoint, which runs no query (our choice).
TOKEN_TIMEOUT_SECONDS = 60


class RateLimitWaits:
    """The 429s one request has waited out; past `MAX_RATE_LIMIT_WAITS`, a 429 is a failure.

    The wait itself is the limiter's (`RateLimiter.observe` saw the 429): the caller only
    sends again.
    """

    def __init__(self) -> None:
        self.count = 0

    def wait_again(self) -> bool:
        """Whether to send the request again after a 429 (counting this wait)."""
        if self.count >= MAX_RATE_LIMIT_WAITS:
            return False
        self.count += 1
        return True
