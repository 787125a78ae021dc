# Bootstrap of a monotrail environment: on PYTHONPATH for processes monotrail launches (and their
# children), imported by site.py at startup. It loads the finder from beside itself.
def _monotrail_boot() -> None:
    import os

    boot_dir = os.path.dirname(os.path.abspath(__file__))
    import _monotrail_finder  # type: ignore[import-not-found]

    _monotrail_finder.bootstrap(boot_dir)


_monotrail_boot()
del _monotrail_boot
