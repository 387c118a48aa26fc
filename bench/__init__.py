"""On-demand benchmarks: scripts that run against a real stack and print their figures.

Run them with ``python -m bench.<name> --help``; ``bench/README.md`` records the latest figures.
``stack.py`` starts the product, ``load.py`` sends the load, ``measure.py`` measures,
``bare_temporal.py`` is the yardstick.

May import: anything of ours, the tests' fakes included. Imported by: nothing.
"""
