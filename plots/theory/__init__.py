"""Queueing theory beside the measured curves: closed forms (closed_forms)
and a simulator of the servers' dispatch policies on one schedule
(dispatch). Computed from a run's parameters, never fitted to it."""
