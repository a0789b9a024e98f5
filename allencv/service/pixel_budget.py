import threading
from contextlib import contextmanager
from typing import Iterator

from allencv.service.inputs import InputError

#: Seconds a client told to come back (503) should wait.
RETRY_AFTER_SECONDS = 1


class PixelBudget:
    """
    The decoded pixels that the requests in flight may hold together. A request reserves its
    images' pixels (counted from their headers) before any is decoded and gives them back when
    its response is ready; a request that would go over the budget gets a 503 with `Retry-After`
    at once, so memory never grows with the queue.

    # Parameters

    max_pixels : `int`
        The budget, in pixels.
    """

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        #: The pixels reserved now.
        self.reserved = 0
        self._lock = threading.Lock()

    @contextmanager
    def reserve(self, pixels: int) -> Iterator[None]:
        with self._lock:
            if self.reserved + pixels > self.max_pixels:
                raise InputError(
                    503,
                    f"The server is busy: the images in flight and this request's {pixels} pixels "
                    f"would pass its budget of {self.max_pixels} decoded pixels; retry in "
                    f"{RETRY_AFTER_SECONDS} s.",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            self.reserved += pixels
        try:
            yield
        finally:
            with self._lock:
                self.reserved -= pixels
