"""The parts of `scripts/bench`, one module per vendor (a benchmark, not tests).

* `rustech`: requests and time of a refresh against the documented
  download order, the CPU per archive row, the simulated day of faults;
* `rustech_setup`: the first set-up in a real Home Assistant with the
  recorder (the simulator in its own process), with `loopwatch` timing
  every event-loop step;
* `tecnogaz`: calls per refresh and the rolling-minute peak of a catch-up;
* `dexma`: calls per refresh and per day against the quota share, and
  history backfills against the fewest calls the span limits allow;
* `common`: Markdown tables and small shared helpers.
"""
