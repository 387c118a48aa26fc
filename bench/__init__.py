"""On-demand benchmarks: scripts that run against a real stack and print their figures.

Run them with ``python -m bench.<name> --help``; ``bench/README.md`` records the latest figures.
"""
