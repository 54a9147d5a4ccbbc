"""Closed forms of response time (waiting + service) for the queues the
servers are (../shared/when-prefork-wins.md): M/M/1, M/M/k through Erlang C,
and the Pollaczek-Khinchine mean of M/G/1. S is the mean service time, rho
the utilisation of each server, k the number of servers; times come back in
the unit of S."""
import math


def _check(rho: float, k: int = 1) -> None:
    if not 0 <= rho < 1:
        raise ValueError(f"utilisation must be in [0, 1) for a stable queue, got {rho}")
    if k < 1:
        raise ValueError(f"at least one server, got {k}")


def mm1_quantile(service: float, rho: float, p: float) -> float:
    """M/M/1 FCFS: the response time is exponential with rate (1 - rho) / S,
    so its p-quantile is S ln(1 / (1 - p)) / (1 - rho)."""
    _check(rho)
    return service * math.log(1 / (1 - p)) / (1 - rho)


def erlang_c(k: int, rho: float) -> float:
    """The probability that an arrival waits in M/M/k with per-server load
    rho (offered load a = k rho), by the stable recurrence of Erlang B."""
    _check(rho, k)
    a = k * rho
    b = 1.0  # Erlang B with 0 servers
    for n in range(1, k + 1):
        b = a * b / (n + a * b)
    return b / (1 - rho * (1 - b))


def mmk_response_tail(service: float, k: int, rho: float, t: float) -> float:
    """P(R > t) in M/M/k FCFS: with probability 1 - C no wait, so R is the
    service, Exp(mu); else R is an Exp(theta) wait plus the service, theta =
    k mu - lambda."""
    mu = 1 / service
    theta = k * mu - k * rho * mu
    c = erlang_c(k, rho)
    served = math.exp(-mu * t)
    if math.isclose(theta, mu):
        waited = (1 + mu * t) * math.exp(-mu * t)
    else:
        waited = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return (1 - c) * served + c * waited


def mmk_quantile(service: float, k: int, rho: float, p: float) -> float:
    """The p-quantile of M/M/k response time, by bisection on the tail."""
    _check(rho, k)
    low, high = 0.0, service
    while mmk_response_tail(service, k, rho, high) > 1 - p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if mmk_response_tail(service, k, rho, middle) > 1 - p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def mg1_mean_response(service: float, rho: float, cs2: float) -> float:
    """Pollaczek-Khinchine: mean wait rho S (1 + cs^2) / (2 (1 - rho)), plus
    the service; cs^2 is the squared coefficient of variation of the service
    (0 fixed, 1 exponential)."""
    _check(rho)
    return service + rho * service * (1 + cs2) / (2 * (1 - rho))


def pause_mean_delay(pause: float, period: float, service: float) -> float:
    """The mean extra response time that process-wide pauses of `pause`
    every `period` add to a lightly loaded FCFS worker (the vacation model
    at rho -> 0, work much shorter than period - pause). A request arriving
    at a random time lands in a pause with probability P/T and then waits
    P/2 on average: P^2 / (2T). Otherwise (probability 1 - P/T) it starts at
    a uniformly random point of a run of T - P, so its work of mean S
    crosses S / (T - P) pause starts on average, each adding P:
    (1 - P/T) P S / (T - P) = P S / T. Queueing between requests adds terms
    of order rho, left out."""
    if not 0 <= pause < period:
        raise ValueError(f"a pause needs 0 <= length < period, got {pause} every {period}")
    return pause**2 / (2 * period) + pause * service / period
