import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, List, Optional

import torch
from allennlp.common.util import JsonDict
from torchvision import tv_tensors

from allencv.predictors.image_predictor import ImagePredictor

logger = logging.getLogger(__name__)


@dataclass
class _Job:
    images: List[tv_tensors.Image]
    texts: Optional[List[Any]] = None
    future: Future = field(default_factory=Future)


class PredictionBatcher:
    """
    Runs a predictor in one worker thread, under `torch.inference_mode`, so concurrent requests
    never share the model at once. The images of every request waiting when the model becomes free
    are predicted together, up to `max_batch_size` images a batch: under load, requests are
    batched without waiting for one another. When a batch fails, its requests are retried one by
    one, so a model error fails only the request that caused it.

    # Parameters

    predictor : `ImagePredictor`
    max_batch_size : `int`
        The most images a batch holds; a single request may not send more.
    """

    def __init__(self, predictor: ImagePredictor, max_batch_size: int) -> None:
        self.predictor = predictor
        self.max_batch_size = max_batch_size
        #: The number of batches run, and the most images one of them held.
        self.batches_run = 0
        self.largest_batch = 0
        self._queue: "queue.Queue[Optional[_Job]]" = queue.Queue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def submit(self, images: List[tv_tensors.Image], texts: Optional[List[Any]] = None) -> "Future[List[JsonDict]]":
        """
        A future for the predictions on `images` (at most `max_batch_size` of them), in order;
        with `texts` (one per image) for a model with text inputs.
        """
        if not 0 < len(images) <= self.max_batch_size:
            raise ValueError(f"A job takes 1 to {self.max_batch_size} images, got {len(images)}.")
        self._start()
        job = _Job(images, texts)
        self._queue.put(job)
        return job.future

    def close(self) -> None:
        """Lets the waiting jobs finish, then stops the worker thread."""
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join()
                self._thread = None

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="allencv-predictor", daemon=True
                )
                self._thread.start()

    def _work(self) -> None:
        waiting: Optional[_Job] = None  # a job that did not fit in the previous batch
        stopping = False
        while not stopping:
            first = waiting if waiting is not None else self._queue.get()
            waiting = None
            if first is None:
                return
            jobs, size = [first], len(first.images)
            while size < self.max_batch_size:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                if size + len(job.images) > self.max_batch_size:
                    waiting = job
                    break
                jobs.append(job)
                size += len(job.images)
            self._run([job for job in jobs if job.future.set_running_or_notify_cancel()])

    def _run(self, jobs: List[_Job]) -> None:
        if not jobs:
            return
        images = [image for job in jobs for image in job.images]
        texts = [text for job in jobs for text in job.texts or []]
        try:
            with torch.inference_mode():
                if texts:
                    predictions = self.predictor.predict_batch(images, texts)  # type: ignore[call-arg]
                else:
                    predictions = self.predictor.predict_batch(images)
        except Exception as error:
            if len(jobs) > 1:
                for job in jobs:
                    self._run([job])
                return
            logger.exception("The model failed on a request of %d image(s)", len(images))
            jobs[0].future.set_exception(error)
            return
        self.batches_run += 1
        self.largest_batch = max(self.largest_batch, len(images))
        start = 0
        for job in jobs:
            job.future.set_result(predictions[start : start + len(job.images)])
            start += len(job.images)
