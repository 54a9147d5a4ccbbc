"""When does prefork win? The experiments of scenarios/when/, each measured
curve beside the simulated policy of its model on the same requests, the
when map over workload x utilisation, and a verdict computed from them
(python3 -m plots.when; make when)."""
