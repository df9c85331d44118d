"""The Ray backend: the same tasks as Ray actors, on an existing cluster or a local Ray.

Each actor is a :class:`~chessmesa.datasets.worker.TaskWorker`, exactly what a local worker runs,
so a seed gives the same rows on either backend. Ray is an optional extra (``pip install
chessmesa[ray]``) and is imported only here. On a cluster, every node needs chessmesa installed
(the same version: the manifest records the driver's).
"""

from __future__ import annotations

from collections import deque

from chessmesa.datasets.config import GenerateConfig
from chessmesa.datasets.errors import DatasetError
from chessmesa.datasets.sources import Task
from chessmesa.datasets.worker import TaskResult, TaskWorker


class RayPool:
    """One actor per worker (default: one per CPU of the cluster); each runs a task at a time."""

    def __init__(self, config: GenerateConfig, workers: int | None, address: str | None):
        try:
            import ray
        except ImportError:
            raise DatasetError("the Ray backend needs ray: pip install 'chessmesa[ray]'") from None
        self._ray = ray
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            try:
                ray.init(address=address, num_cpus=None if address else workers,
                         include_dashboard=False, log_to_driver=False, logging_level="error")
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise DatasetError(f"cannot start Ray{f' at {address}' if address else ''}: "
                                   f"{_reason(error)}") from None
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor = ray.remote(num_cpus=1)(TaskWorker)
        self._actors = [actor.remote(config) for _ in range(self.workers)]
        self._idle = deque(self._actors)
        self._queue: deque[Task] = deque()
        self._running: dict = {}  # object ref -> actor

    def submit(self, task: Task) -> None:
        self._queue.append(task)
        self._dispatch()

    def completed(self, timeout: float) -> list[TaskResult]:
        """Results of tasks finished within ``timeout`` seconds (maybe none)."""
        ready, _ = self._ray.wait(list(self._running), num_returns=1, timeout=timeout)
        results = []
        for ref in ready:
            self._idle.append(self._running.pop(ref))
            results.append(self._ray.get(ref))
        self._dispatch()
        return results

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        if self._owns_ray:
            self._ray.shutdown()

    def _dispatch(self) -> None:
        while self._idle and self._queue:
            actor = self._idle.popleft()
            self._running[actor.run.remote(self._queue.popleft())] = actor


def _reason(error: BaseException) -> str:
    """The first line of Ray's error, and what is missing when the cluster refused our token.

    Ray names a refused token only deep in the chained cause: ``ray start --head`` turns token
    authentication on by itself where ``~/.ray/auth_token`` exists (any local ``ray.init()``
    writes one), but a driver joining an explicit address sends a token only when told to.
    """
    reason = str(error).splitlines()[0]
    if "InvalidAuthToken" in str(error.__cause__):
        reason += (" (the cluster uses token authentication: set RAY_AUTH_MODE=token and give its "
                   "token in ~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN)")
    return reason
