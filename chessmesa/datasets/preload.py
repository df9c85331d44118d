"""Imported by the local pool's forkserver before it forks any worker (``set_forkserver_preload``).

Importing this module warms the searcher, so every worker forked from the server starts with the
compiled code already in memory instead of loading numba's cache itself. The server is a fresh,
single-threaded interpreter, which is what makes forking it safe (forking the parent, with its
progress-bar and Arrow threads, is not).
"""

from chessmesa.datasets.worker import warm_up

warm_up()
