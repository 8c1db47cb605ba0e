"""Slack induction by string removals (SISR): ruin and recreate over a plan,
compiled with Numba.

OR-Tools builds the model, the first plans and checks every constraint, but
each iteration of its own iterated local search runs a full descent over
every route, so a 300-visit day sees a few thousand ruins in 30 s. SISR
(Christiaens and Vanden Berghe, *Transportation Science* 54(2), 2020) needs
no descent: it removes a few strings of nearby visits from a few routes,
puts each visit back at its cheapest feasible place (skipping a few places at
random, "blinks"), and accepts the result by simulated annealing. Compiled
with Numba, one iteration on such a day takes tens of microseconds, so the
same 30 s try a few hundred thousand plans.

The rules are the engine's own (:mod:`dispatch.engine.timing`): service
starts at the earliest time inside a window, the day ends at the lab that
keeps its cutoff and the shift end and brings the technician home first,
maximum visits and capacity hold, and a visit goes only to a technician the
screening allows. Breaks and the balance term are not modelled here: a
problem with either is left to OR-Tools (:func:`supports`). The plan that
comes out is timed again by :func:`~dispatch.engine.timing.timed_route`
and validated like every other.

A visit is never given up for a cheaper day: a plan that leaves out more
visits of a higher priority is never accepted, whatever it saves.

The kernels release the GIL: a plan solved in a web server's thread leaves
the other threads running.

Numba compiles the kernels on first use and caches them next to this file;
``make install`` warms that cache (:func:`main`), and :func:`ready` says
whether calling them would compile first (it must not, inside a time limit).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numba
import numpy as np
from llvmlite import binding
from numba import njit

from dispatch.engine.problem import DispatchProblem, Lab, Technician, TimeWindow, TravelMatrix, Visit

log = logging.getLogger(__name__)

# The ruin, as in the paper: on average AVERAGE_REMOVED visits, in strings
# of at most MAX_STRING.
AVERAGE_REMOVED = 10
MAX_STRING = 10
BLINK_RATE = 0.01
SPLIT_RATE = 0.5
# Passes of tail exchanges (2-opt*) over the current plan after each slice,
# within this share of the chain's time (a pass tries every pair of routes:
# a few milliseconds on 80 routes).
EXCHANGE_PASSES = 3
EXCHANGE_SHARE = 0.1
NEIGHBOURS = 64
# A removed visit is tried on the routes that serve one of its this many
# nearest visits, and on every empty one.
INSERT_NEIGHBOURS = 64
# Temperatures, as shares of the mean leg of the starting plan.
START_TEMPERATURE = 1.0
END_TEMPERATURE = 0.02
# Seconds each compiled call may run before the clock is read again.
SLICE_SECONDS = 0.05
# Chains trade best plans this often, as a share of the time.
SHARE_INTERVAL = 0.1
INFINITE = np.int64(1) << np.int64(60)


@njit(cache=True, nogil=True)
def _seed(seed):
    np.random.seed(seed)


@njit(cache=True, nogil=True)
def _earliest(v, arrival, wst, wen, nw):
    for k in range(nw[v]):
        if arrival <= wen[v, k]:
            return max(arrival, wst[v, k])
    return -1


@njit(cache=True, nogil=True)
def _finish(d, r, loc, t):
    """(keeps cutoff and shift, cost of the way to the lab and home)."""
    dur, cst, vloc, serv, wst, wen, nw, dem, pen, elig, tloc, tss, tse, tend, tmaxv, tcap, lloc, lcut = d[:18]
    end_loc = tend[r]
    if lloc.shape[0] == 0:
        if end_loc >= 0:
            return t + dur[loc, end_loc] <= tse[r], cst[loc, end_loc]
        return t <= tse[r], np.int64(0)
    ok = False
    best_end = INFINITE
    best_cost = np.int64(0)
    for lab in range(lloc.shape[0]):
        at_lab = t + dur[loc, lloc[lab]]
        end = at_lab
        cost = cst[loc, lloc[lab]]
        if end_loc >= 0:
            end += dur[lloc[lab], end_loc]
            cost += cst[lloc[lab], end_loc]
        if at_lab <= lcut[lab] and end <= tse[r] and end < best_end:
            ok = True
            best_end = end
            best_cost = cost
    return ok, best_cost


@njit(cache=True, nogil=True)
def _evaluate(d, s, r):
    """Time route ``r`` from scratch: start times, cost, load, positions.
    False when it breaks a rule."""
    dur, cst, vloc, serv, wst, wen, nw, dem, pen, elig, tloc, tss, tse, tend, tmaxv, tcap, lloc, lcut = d[:18]
    R, rlen, rload, rcost, rst, where, pos, rlate, rjump = s
    count = rlen[r]
    if count == 0:
        rcost[r] = 0
        rload[r] = 0
        return True
    loc = tloc[r]
    t = tss[r]
    cost = np.int64(0)
    load = np.int64(0)
    ok = True
    for j in range(count):
        v = R[r, j]
        where[v] = r
        pos[v] = j
        arrival = t + dur[loc, vloc[v]]
        start = _earliest(v, arrival, wst, wen, nw)
        if start < 0:
            ok = False
            start = arrival
        rst[r, j] = start
        cost += cst[loc, vloc[v]]
        load += dem[v]
        loc = vloc[v]
        t = start + serv[v]
    kept, tail = _finish(d, r, loc, t)
    rcost[r] = cost + tail
    rload[r] = load
    # Backwards: the latest start at each stop that keeps every later stop in
    # the window it is in now, and the day's end (Savelsbergh's push-forward
    # slack), and whether a later window could still take a later stop.
    late = _latest_leave(d, r, loc)
    jump = False
    for j in range(count - 1, -1, -1):
        v = R[r, j]
        k = 0
        while k < nw[v] - 1 and wen[v, k] < rst[r, j]:
            k += 1
        rlate[r, j] = min(wen[v, k], late - serv[v])
        jump = jump or k < nw[v] - 1
        rjump[r, j] = jump
        if j > 0:
            late = rlate[r, j] - dur[vloc[R[r, j - 1]], vloc[v]]
    return ok and kept and load <= tcap[r] and count <= tmaxv[r]


@njit(cache=True, nogil=True)
def _latest_leave(d, r, loc):
    """The latest time route ``r`` may leave ``loc`` and still end its day
    (:func:`_finish` keeps it for every earlier time)."""
    dur, tse, tend, lloc, lcut = d[0], d[12], d[13], d[16], d[17]
    end_loc = tend[r]
    if lloc.shape[0] == 0:
        return tse[r] - (dur[loc, end_loc] if end_loc >= 0 else 0)
    latest = -INFINITE
    for lab in range(lloc.shape[0]):
        home = dur[lloc[lab], end_loc] if end_loc >= 0 else 0
        latest = max(latest, min(lcut[lab], tse[r] - home) - dur[loc, lloc[lab]])
    return latest


@njit(cache=True, nogil=True)
def _can_insert(d, s, r, p, c):
    """Does route ``r`` still keep every window, the cutoff and the shift
    with visit ``c`` inserted before position ``p``? Times only grow after
    an insertion, so the check stops where they stop changing."""
    dur, cst, vloc, serv, wst, wen, nw, dem, pen, elig, tloc, tss, tse, tend, tmaxv, tcap, lloc, lcut = d[:18]
    R, rlen, rload, rcost, rst, where, pos, rlate, rjump = s
    if p == 0:
        loc = tloc[r]
        t = tss[r]
    else:
        u = R[r, p - 1]
        loc = vloc[u]
        t = rst[r, p - 1] + serv[u]
    start = _earliest(c, t + dur[loc, vloc[c]], wst, wen, nw)
    if start < 0:
        return False
    loc = vloc[c]
    t = start + serv[c]
    if p < rlen[r]:
        arrival = t + dur[loc, vloc[R[r, p]]]
        if arrival <= rlate[r, p]:
            return True
        if not rjump[r, p]:
            return False
    # A later window may take the delay: walk the route.
    for j in range(p, rlen[r]):
        v = R[r, j]
        start = _earliest(v, t + dur[loc, vloc[v]], wst, wen, nw)
        if start < 0:
            return False
        if start <= rst[r, j]:
            return True
        loc = vloc[v]
        t = start + serv[v]
    kept, tail = _finish(d, r, loc, t)
    return kept


@njit(cache=True, nogil=True)
def _touch(s, b, touched, ntouched, r):
    """Keep a copy of route ``r`` before its first change in this iteration."""
    R, rlen, rload, rcost, rst, where, pos, rlate, rjump = s
    bR, brlen, brload, brcost, brst, brlate, brjump = b
    if touched[r]:
        return ntouched
    touched[r] = True
    n = rlen[r]
    bR[r, :n] = R[r, :n]
    brst[r, :n] = rst[r, :n]
    brlen[r] = n
    brload[r] = rload[r]
    brcost[r] = rcost[r]
    brlate[r, :n] = rlate[r, :n]
    brjump[r, :n] = rjump[r, :n]
    return ntouched + 1


@njit(cache=True, nogil=True)
def _ruin(d, s, b, touched, order, removed):
    """Remove strings of visits near a random seed visit; return how many
    were removed (into ``removed``) and the routes touched (into ``order``)."""
    adj = d[18]
    R, rlen, rload, rcost, rst, where, pos, rlate, rjump = s
    n = where.shape[0]
    m = rlen.shape[0]
    served = 0
    used = 0
    for r in range(m):
        if rlen[r] > 0:
            served += rlen[r]
            used += 1
    if served == 0:
        return 0, 0
    avg = served / used
    par = d[23]
    ls_max = min(par[1], avg)
    ks_max = 4.0 * par[0] / (1.0 + ls_max) - 1.0
    ks = int(np.random.random() * ks_max) + 1
    seed_visit = -1
    for _ in range(20):
        v = np.random.randint(n)
        if where[v] >= 0:
            seed_visit = v
            break
    if seed_visit < 0:
        return 0, 0
    nremoved = 0
    ntouched = 0
    strings = 0
    for i in range(-1, adj.shape[1]):
        if strings >= ks:
            break
        c = seed_visit if i < 0 else adj[seed_visit, i]
        r = where[c]
        if r < 0 or touched[r]:
            continue
        order[ntouched] = r
        ntouched = _touch(s, b, touched, ntouched, r)
        count = rlen[r]
        l_max = min(float(count), ls_max)
        length = int(np.random.random() * l_max) + 1
        keep = 0
        if np.random.random() < par[3] and count - length >= 1 and length > 1:
            keep = np.random.randint(1, count - length + 1)
        span = length + keep
        lo = max(0, pos[c] - span + 1)
        hi = min(pos[c], count - span)
        first = lo + np.random.randint(hi - lo + 1)
        kept_from = first + (np.random.randint(length - 1) + 1 if keep else span)
        write = first
        for j in range(first, count):
            v = R[r, j]
            inside = j < first + span
            keeps = inside and kept_from <= j < kept_from + keep
            if inside and not keeps:
                removed[nremoved] = v
                nremoved += 1
                where[v] = -1
            else:
                R[r, write] = v
                write += 1
        rlen[r] = write
        _evaluate(d, s, r)
        strings += 1
    return nremoved, ntouched


@njit(cache=True, nogil=True)
def _recreate(d, s, b, touched, order, ntouched, pending, npending):
    """Put each pending visit at its cheapest feasible place (with blinks);
    return the routes touched so far."""
    dur, cst, vloc, serv, wst, wen, nw, dem, pen, elig, tloc, tss, tse, tend, tmaxv, tcap, lloc, lcut = d[:18]
    fcost = d[19]
    far = d[20]
    wend = d[21]
    R, rlen, rload, rcost, rst, where, pos, rlate, rjump = s
    m = rlen.shape[0]
    key = np.empty(npending)
    pick = np.random.random()
    for i in range(npending):
        c = pending[i]
        if pick < 0.4:
            key[i] = np.random.random()
        elif pick < 0.6:
            key[i] = -far[c]
        elif pick < 0.7:
            key[i] = far[c]
        elif pick < 0.9:
            key[i] = wend[c]
        else:
            key[i] = -dem[c] - np.random.random()
    ranked = np.argsort(key)
    adj = d[18]
    par = d[23]
    # Row ``cl`` of the transposed matrices holds every leg into the visit
    # (its cost, its duration): with row ``cl`` of ``cst`` and ``dur`` (legs
    # out of it), all stay in cache.
    into = d[24]
    dinto = d[25]
    fout = d[26]
    blink = par[2]
    reach = min(int(par[4]), adj.shape[1])
    near = np.zeros(m, dtype=np.bool_)
    for i in range(npending):
        c = pending[ranked[i]]
        cl = vloc[c]
        first = wst[c, 0]
        last = wen[c, nw[c] - 1]
        best = INFINITE
        best_r = -1
        best_p = -1
        for k in range(reach):
            u = adj[c, k]
            if where[u] >= 0:
                near[where[u]] = True
        for r in range(m):
            if not elig[c, r] or rlen[r] >= tmaxv[r] or rload[r] + dem[c] > tcap[r]:
                continue
            count = rlen[r]
            if count > 0 and not near[r]:
                continue
            if count == 0:
                if np.random.random() < blink:
                    continue
                delta = into[cl, tloc[r]] + fout[cl, r]
                if delta < best and _can_insert(d, s, r, 0, c):
                    best, best_r, best_p = delta, r, 0
                continue
            # Times only grow along a route: once the visit would arrive after
            # its last window, it would at every later place too (legs keep
            # the triangle inequality, up to rounding), and a place whose
            # next stop could not wait for the visit's first window is out
            # without the full check. Most places fail one of these on long
            # routes, so the scan reads route order and the visit's own rows
            # only.
            a = tloc[r]
            depart = tss[r]
            for p in range(count + 1):
                if p > 0:
                    u = R[r, p - 1]
                    depart = rst[r, p - 1] + serv[u]
                arrive = depart + dinto[cl, a]
                if arrive > last:
                    break
                if p < count:
                    nxt = vloc[R[r, p]]
                    if not rjump[r, p] and max(arrive, first) + serv[c] + dur[cl, nxt] > rlate[r, p]:
                        a = nxt
                        continue
                    delta = into[cl, a] + cst[cl, nxt] - cst[a, nxt]
                else:
                    nxt = -1
                    delta = into[cl, a] + fcost[r, cl] - fcost[r, a]
                if delta < best and np.random.random() >= blink and _can_insert(d, s, r, p, c):
                    best, best_r, best_p = delta, r, p
                a = nxt
        for k in range(reach):
            u = adj[c, k]
            if where[u] >= 0:
                near[where[u]] = False
        if best_r < 0:
            continue
        r = best_r
        if not touched[r]:
            order[ntouched] = r
            ntouched = _touch(s, b, touched, ntouched, r)
        for j in range(rlen[r], best_p, -1):
            R[r, j] = R[r, j - 1]
        R[r, best_p] = c
        rlen[r] += 1
        _evaluate(d, s, r)
    return ntouched


@njit(cache=True, nogil=True)
def _iterate(d, s, b, best_routes, best_len, state, iterations, t_first, t_last):
    """``iterations`` rounds of ruin, recreate and annealed acceptance.

    ``state`` holds (current cost, current penalty, best cost, best penalty,
    iterations done, accepted); the best plan is copied into ``best_routes``
    and ``best_len`` whenever one is found."""
    pen = d[8]
    routable = d[22]
    R, rlen, rload, rcost, rst, where, pos, rlate, rjump = s
    bR, brlen, brload, brcost, brst, brlate, brjump = b
    n = where.shape[0]
    m = rlen.shape[0]
    touched = np.zeros(m, dtype=np.bool_)
    order = np.empty(m, dtype=np.int64)
    pending = np.empty(n, dtype=np.int64)
    ratio = t_last / t_first
    for it in range(iterations):
        temperature = t_first * ratio ** (it / iterations)
        touched[:] = False
        nremoved, ntouched = _ruin(d, s, b, touched, order, pending)
        npending = nremoved
        for v in range(n):
            if routable[v] and where[v] < 0:
                seen = False
                for i in range(nremoved):
                    if pending[i] == v:
                        seen = True
                        break
                if not seen:
                    pending[npending] = v
                    npending += 1
        ntouched = _recreate(d, s, b, touched, order, ntouched, pending, npending)
        cost = state[0]
        for i in range(ntouched):
            r = order[i]
            cost += rcost[r] - brcost[r]
        penalty = np.int64(0)
        for v in range(n):
            if routable[v] and where[v] < 0:
                penalty += pen[v]
        threshold = state[0] - temperature * math.log(np.random.random())
        if penalty < state[1] or (penalty == state[1] and cost < threshold):
            state[0] = cost
            state[1] = penalty
            state[5] += 1
            if penalty < state[3] or (penalty == state[3] and cost < state[2]):
                state[2] = cost
                state[3] = penalty
                for r in range(m):
                    best_len[r] = rlen[r]
                    best_routes[r, : rlen[r]] = R[r, : rlen[r]]
        else:
            for i in range(ntouched):
                r = order[i]
                for j in range(rlen[r]):
                    where[R[r, j]] = -1
            for i in range(ntouched):
                r = order[i]
                count = brlen[r]
                R[r, :count] = bR[r, :count]
                rst[r, :count] = brst[r, :count]
                rlate[r, :count] = brlate[r, :count]
                rjump[r, :count] = brjump[r, :count]
                rlen[r] = count
                rload[r] = brload[r]
                rcost[r] = brcost[r]
                for j in range(count):
                    where[R[r, j]] = r
                    pos[R[r, j]] = j
        state[4] += 1


@njit(cache=True, nogil=True)
def _prefix(d, s, r, costs, loads):
    """Route ``r``'s cost from home through each of its first ``i`` stops
    (``costs[r, i]``) and the load of those stops (``loads[r, i]``)."""
    cst, vloc, dem, tloc = d[1], d[2], d[7], d[10]
    R, rlen = s[0], s[1]
    loc = tloc[r]
    costs[r, 0] = 0
    loads[r, 0] = 0
    for i in range(rlen[r]):
        v = R[r, i]
        costs[r, i + 1] = costs[r, i] + cst[loc, vloc[v]]
        loads[r, i + 1] = loads[r, i] + dem[v]
        loc = vloc[v]


@njit(cache=True, nogil=True)
def _joined_cost(d, s, costs, r1, i, r2, j):
    """The cost, by the insertion's estimate of the last leg, of technician
    ``r1``'s first ``i`` stops followed by route ``r2``'s stops from ``j``."""
    cst, vloc, tloc, fcost = d[1], d[2], d[10], d[19]
    R, rlen = s[0], s[1]
    n2 = rlen[r2]
    here = tloc[r1] if i == 0 else vloc[R[r1, i - 1]]
    if j == n2:
        return np.int64(0) if i == 0 else costs[r1, i] + fcost[r1, here]
    return (
        costs[r1, i]
        + cst[here, vloc[R[r2, j]]]
        + costs[r2, n2]
        - costs[r2, j + 1]
        + fcost[r1, vloc[R[r2, n2 - 1]]]
    )


@njit(cache=True, nogil=True)
def _exchange_tails(d, s, best_routes, best_len, state, passes):
    """Descent over tail exchanges between two routes (2-opt*): technician
    one keeps its first ``i`` stops and takes the other's stops from ``j``,
    and the other way round; ``i = j = 0`` swaps whole days between two
    technicians. Ruin and recreate rarely makes such a move, which shifts a
    dozen visits at once (a later shift, or a home nearer a far cluster, may
    serve that cluster's day better). Applies every exchange that lowers the
    plan's cost and keeps every rule; returns how many it applied."""
    elig, tmaxv, tcap = d[9], d[14], d[15]
    R, rlen, rcost = s[0], s[1], s[3]
    m, width = R.shape
    costs = np.zeros((m, width + 1), dtype=np.int64)
    loads = np.zeros((m, width + 1), dtype=np.int64)
    for r in range(m):
        _prefix(d, s, r, costs, loads)
    one = np.empty(width, dtype=np.int64)
    two = np.empty(width, dtype=np.int64)
    applied = 0
    for _ in range(passes):
        moved = False
        for r1 in range(m):
            for r2 in range(r1 + 1, m):
                n1, n2 = rlen[r1], rlen[r2]
                if n1 == 0 and n2 == 0:
                    continue
                old = rcost[r1] + rcost[r2]
                done = False
                for i in range(n1 + 1):
                    if done:
                        break
                    for j in range(n2 + 1):
                        if i == n1 and j == n2:
                            continue
                        if i + n2 - j > tmaxv[r1] or j + n1 - i > tmaxv[r2]:
                            continue
                        joined = _joined_cost(d, s, costs, r1, i, r2, j) + _joined_cost(
                            d, s, costs, r2, j, r1, i
                        )
                        if joined >= old:
                            continue
                        if loads[r1, i] + loads[r2, n2] - loads[r2, j] > tcap[r1]:
                            continue
                        if loads[r2, j] + loads[r1, n1] - loads[r1, i] > tcap[r2]:
                            continue
                        allowed = True
                        for k in range(j, n2):
                            if not elig[R[r2, k], r1]:
                                allowed = False
                                break
                        for k in range(i, n1):
                            if not allowed or not elig[R[r1, k], r2]:
                                allowed = False
                                break
                        if not allowed:
                            continue
                        one[:n1] = R[r1, :n1]
                        two[:n2] = R[r2, :n2]
                        R[r1, i : i + n2 - j] = two[j:n2]
                        R[r2, j : j + n1 - i] = one[i:n1]
                        rlen[r1] = i + n2 - j
                        rlen[r2] = j + n1 - i
                        ok = _evaluate(d, s, r1)
                        ok = _evaluate(d, s, r2) and ok
                        if ok and rcost[r1] + rcost[r2] < old:
                            state[0] += rcost[r1] + rcost[r2] - old
                            _prefix(d, s, r1, costs, loads)
                            _prefix(d, s, r2, costs, loads)
                            applied += 1
                            moved = True
                            done = True
                            break
                        R[r1, :n1] = one[:n1]
                        R[r2, :n2] = two[:n2]
                        rlen[r1] = n1
                        rlen[r2] = n2
                        _evaluate(d, s, r1)
                        _evaluate(d, s, r2)
        if not moved:
            break
    if applied and (state[1] < state[3] or (state[1] == state[3] and state[0] < state[2])):
        state[2] = state[0]
        state[3] = state[1]
        for r in range(m):
            best_len[r] = rlen[r]
            best_routes[r, : rlen[r]] = R[r, : rlen[r]]
    return applied


def supports(problem: DispatchProblem) -> bool:
    """Can SISR improve this problem's plans? Not with breaks or a balance
    term (left to OR-Tools), nor with more priority levels than its penalty
    can rank exactly."""
    if problem.balance_coefficient or any(t.breaks for t in problem.technicians):
        return False
    levels = len({v.priority for v in problem.visits})
    return (len(problem.visits) + 1) ** levels < 2**60


class _Arrays:
    """The problem as the kernels read it."""

    def __init__(self, problem: DispatchProblem, allowed: Mapping[str, Sequence[str]]):
        visits, techs = problem.visits, problem.technicians
        n, m = len(visits), len(techs)
        dur = _narrow(problem.matrix.duration_array)
        cst = _narrow(problem.matrix.distance_array) if problem.cost == "distance" else dur
        width = max(len(v.time_windows) for v in visits)
        wst = np.zeros((n, width), dtype=np.int64)
        wen = np.zeros((n, width), dtype=np.int64)
        for i, v in enumerate(visits):
            for k, w in enumerate(v.time_windows):
                wst[i, k], wen[i, k] = w.start, w.end
        levels = sorted({v.priority for v in visits})
        weight = {p: (n + 1) ** k for k, p in enumerate(levels)}
        tech_number = {t.id: k for k, t in enumerate(techs)}
        elig = np.zeros((n, m), dtype=np.bool_)
        routable = np.zeros(n, dtype=np.bool_)
        for i, v in enumerate(visits):
            for tech_id in allowed.get(v.id, ()):
                elig[i, tech_number[tech_id]] = True
                routable[i] = True
        lloc = np.array([lab.location for lab in problem.labs], dtype=np.int64)
        lcut = np.array([lab.cutoff for lab in problem.labs], dtype=np.int64)
        tend = np.array([-1 if t.end_location is None else t.end_location for t in techs], dtype=np.int64)
        fcost = _finish_costs(cst, lloc, tend)
        vloc = np.array([v.location for v in visits], dtype=np.int64)
        centre = int(lloc[0]) if len(lloc) else techs[0].start_location
        visit_cost = cst[np.ix_(vloc, vloc)]
        neighbours = min(NEIGHBOURS, n - 1)
        near = (visit_cost + visit_cost.T).astype(np.float64)
        np.fill_diagonal(near, np.inf)
        adj = np.argsort(near, axis=1, kind="stable")[:, :neighbours].astype(np.int64)
        self.n, self.m = n, m
        into = np.ascontiguousarray(cst.T)
        self.capacity = max(1, min(n, max(t.max_visits if t.max_visits is not None else n for t in techs)))
        self.data = (
            dur,
            cst,
            vloc,
            np.array([v.service_duration for v in visits], dtype=np.int64),
            wst,
            wen,
            np.array([len(v.time_windows) for v in visits], dtype=np.int64),
            np.array([v.demand for v in visits], dtype=np.int64),
            np.array([weight[v.priority] for v in visits], dtype=np.int64),
            elig,
            np.array([t.start_location for t in techs], dtype=np.int64),
            np.array([t.shift.start for t in techs], dtype=np.int64),
            np.array([t.shift.end for t in techs], dtype=np.int64),
            tend,
            np.array([n if t.max_visits is None else t.max_visits for t in techs], dtype=np.int64),
            np.array([INFINITE if t.capacity is None else t.capacity for t in techs], dtype=np.int64),
            lloc,
            lcut,
            adj,
            fcost,
            (cst[centre, vloc] + cst[vloc, centre]).astype(np.float64),
            wen[:, 0].astype(np.float64) if width == 1 else wen.max(axis=1).astype(np.float64),
            routable,
            np.array(
                [AVERAGE_REMOVED, MAX_STRING, BLINK_RATE, SPLIT_RATE, INSERT_NEIGHBOURS], dtype=np.float64
            ),
            into,
            into if cst is dur else np.ascontiguousarray(dur.T),
            np.ascontiguousarray(fcost.T),
        )


def _narrow(matrix: np.ndarray) -> np.ndarray:
    """The matrix as 32-bit integers, so a 300-visit day's fits a core's
    cache (insertion reads it at random). Legs beyond 2^30 (34 years, or a
    million kilometres) are kept at 2^30: no plan can use them either way.
    Always the same type, so the kernels compiled ahead are the ones used."""
    return np.minimum(matrix, 1 << 30).astype(np.int32)


def _finish_costs(cst: np.ndarray, lloc: np.ndarray, tend: np.ndarray) -> np.ndarray:
    """Per technician and location, the cost of ending the day from there
    (through the cheapest lab): the insertion's estimate of the last leg."""
    m, size = len(tend), cst.shape[0]
    out = np.zeros((m, size), dtype=np.int64)
    for r, end in enumerate(tend):
        if len(lloc) == 0:
            out[r] = 0 if end < 0 else cst[:, end]
        else:
            legs = cst[:, lloc] + (0 if end < 0 else cst[lloc, end][None, :])
            out[r] = legs.min(axis=1)
    return out


def improve(
    problem: DispatchProblem,
    allowed: Mapping[str, Sequence[str]],
    routes: Mapping[str, Sequence[str]],
    deadline: float,
    seed: int = 0,
    warming: bool = False,
    searches: int = 1,
) -> tuple[dict[str, list[str]], dict] | None:
    """The best plan SISR finds from ``routes`` by ``deadline`` (a
    ``time.monotonic()`` value), with its figures; ``None`` when the problem
    is outside what it models or ``routes`` break one of its rules.

    ``searches`` annealing chains run in as many threads (the kernels release
    the GIL) and share their best plan: every ``SHARE_INTERVAL`` of the time, a
    chain whose best is worse than the best found by any chain carries on
    from that one. Two chains sharing this way search like one chain given
    nearly twice the time, which beats keeping the better of two independent
    ones: an annealing run gains more from more iterations than from a
    second draw."""
    if not problem.visits or not supports(problem):
        return None
    arrays = _Arrays(problem, allowed)
    m, width = arrays.m, arrays.capacity + 1
    index = {v.id: i for i, v in enumerate(problem.visits)}
    R = np.zeros((m, width), dtype=np.int64)
    rlen = np.zeros(m, dtype=np.int64)
    for k, tech in enumerate(problem.technicians):
        ids = routes.get(tech.id, ())
        if len(ids) >= width:
            return None
        for j, visit_id in enumerate(ids):
            R[k, j] = index[visit_id]
        rlen[k] = len(ids)
    d = arrays.data
    chain = _Chain(d, R, rlen)
    if not chain.valid:
        return None
    cost = int(chain.state[0])
    served = int(rlen.sum())
    legs = served + int((rlen > 0).sum())
    mean_leg = cost / legs if legs else 1.0
    schedule = _Schedule(
        time.monotonic(),
        deadline,
        max(1e-9, START_TEMPERATURE * mean_leg),
        max(1e-9, END_TEMPERATURE * mean_leg),
    )
    if warming:
        _seed(seed)
        _iterate(d, chain.s, chain.b, chain.best_routes, chain.best_len, chain.state, 1, 1.0, 1.0)
        _exchange_tails(d, chain.s, chain.best_routes, chain.best_len, chain.state, 1)
    chains = [chain, *(_Chain(d, R, rlen) for _ in range(max(1, searches) - 1))]
    board = _Board(chain)
    threads = [
        threading.Thread(target=other.run, args=(d, schedule, seed + k, board), name=f"sisr-{k}", daemon=True)
        for k, other in enumerate(chains[1:], start=1)
    ]
    for thread in threads:
        thread.start()
    chain.run(d, schedule, seed, board)
    for thread in threads:
        thread.join()
    best_routes, best_len = board.routes, board.length
    result = {}
    for k, tech in enumerate(problem.technicians):
        if best_len[k]:
            result[tech.id] = [problem.visits[i].id for i in best_routes[k, : best_len[k]]]
    figures = {
        "iterations": sum(int(c.state[4]) for c in chains),
        "accepted": sum(int(c.state[5]) for c in chains),
        "start_cost": cost,
        "cost": int(board.key[1]),
        "searches": len(chains),
        "exchanges": sum(c.exchanges for c in chains),
        "shared": board.shared,
    }
    return result, figures


class _Schedule:
    """The annealing temperature, falling geometrically with the clock from
    ``first`` at ``started`` to ``last`` at ``deadline``."""

    def __init__(self, started: float, deadline: float, first: float, last: float):
        self.started, self.deadline, self.first, self.last = started, deadline, first, last
        self.total = max(1e-3, deadline - started)

    def temperature(self, now: float) -> float:
        return self.first * (self.last / self.first) ** ((now - self.started) / self.total)


def _new_state(n: int, m: int, width: int) -> tuple:
    """The arrays of one plan for ``n`` visits on ``m`` routes of up to
    ``width - 1`` stops: stops, lengths, loads, costs, start times, each
    visit's route (-1: none) and position, each stop's latest start
    (:func:`_evaluate`) and whether a later window could take a delay there."""
    return (
        np.zeros((m, width), dtype=np.int64),
        np.zeros(m, dtype=np.int64),
        np.zeros(m, dtype=np.int64),
        np.zeros(m, dtype=np.int64),
        np.zeros((m, width), dtype=np.int64),
        np.full(n, -1, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros((m, width), dtype=np.int64),
        np.zeros((m, width), dtype=np.bool_),
    )


class _Chain:
    """One annealing chain: its current plan (``s``), the copy of each route
    an iteration may undo (``b``), its best plan and its figures (``state``:
    current cost and penalty, best cost and penalty, iterations, accepted)."""

    def __init__(self, d, R: np.ndarray, rlen: np.ndarray):
        self.s = _new_state(d[2].shape[0], *R.shape)
        self.b = tuple(a.copy() for a in (*self.s[:5], *self.s[7:]))
        self.best_routes, self.best_len = R.copy(), rlen.copy()
        self.state = np.zeros(6, dtype=np.int64)
        self.exchanges = 0
        self.valid = self.restart(d, R, rlen)

    def restart(self, d, R: np.ndarray, rlen: np.ndarray) -> bool:
        """Carry on from the plan ``R``/``rlen``; False when it breaks a rule."""
        s = self.s
        s[0][:] = R
        s[1][:] = rlen
        s[5][:] = -1
        ok = True
        for k in range(len(rlen)):
            ok = _evaluate(d, s, k) and ok
        ok = ok and not np.any(s[5][~d[22]] >= 0)  # no visit the screening rules out
        for copy, array in zip(self.b, (*s[:5], *s[7:]), strict=True):
            copy[:] = array
        self.best_routes[:] = R
        self.best_len[:] = rlen
        cost = int(s[3].sum())
        penalty = int(d[8][d[22] & (s[5] < 0)].sum())
        self.state[:4] = (cost, penalty, cost, penalty)
        return ok

    def key(self) -> tuple[int, int]:
        return int(self.state[3]), int(self.state[2])

    def run(self, d, schedule: _Schedule, seed: int, board: _Board) -> None:
        """Anneal until the deadline, in slices of about ``SLICE_SECONDS``,
        each followed by tail exchanges (within ``EXCHANGE_SHARE`` of the
        time), trading best plans with ``board`` every ``SHARE_INTERVAL`` of
        the time."""
        _seed(seed)
        every = SHARE_INTERVAL * schedule.total
        share_at = schedule.started + every
        batch = 16
        exchanging = 0.0
        while True:
            now = time.monotonic()
            if now >= schedule.deadline:
                break
            if now >= share_at:
                board.trade(d, self)
                share_at = now + every
            temperature = schedule.temperature(now)
            _iterate(
                d,
                self.s,
                self.b,
                self.best_routes,
                self.best_len,
                self.state,
                batch,
                temperature,
                temperature,
            )
            if exchanging <= EXCHANGE_SHARE * (time.monotonic() - schedule.started):
                before = time.monotonic()
                self.exchanges += _exchange_tails(
                    d, self.s, self.best_routes, self.best_len, self.state, EXCHANGE_PASSES
                )
                exchanging += time.monotonic() - before
            took = time.monotonic() - now
            if took < SLICE_SECONDS / 2:
                batch *= 2
            elif took > SLICE_SECONDS * 2 and batch > 1:
                batch //= 2
        board.offer(self)


class _Board:
    """The best plan any chain has found, under a lock."""

    def __init__(self, chain: _Chain):
        self.lock = threading.Lock()
        self.routes, self.length = chain.best_routes.copy(), chain.best_len.copy()
        self.key = chain.key()
        self.shared = 0

    def offer(self, chain: _Chain) -> None:
        with self.lock:
            self._post(chain)

    def _post(self, chain: _Chain) -> bool:
        """Take the chain's best if it leads (under the lock); True if it did."""
        if chain.key() < self.key:
            self.key = chain.key()
            self.routes[:] = chain.best_routes
            self.length[:] = chain.best_len
            return True
        return False

    def trade(self, d, chain: _Chain) -> None:
        """Post the chain's best if it leads; else move the chain onto the leader."""
        with self.lock:
            if self._post(chain) or self.key == chain.key():
                return
            routes, length = self.routes.copy(), self.length.copy()
            self.shared += 1
        chain.restart(d, routes, length)


# Numba keys its cache on the source file's time stamp and the CPU; the marker
# says the warm-up compiled (or loaded) every kernel for both.
_MARKER = Path(__file__).with_name("__pycache__") / "sisr.ready"
_compiling = threading.Lock()
_loaded = threading.Event()
_starting = threading.Lock()
_loading: threading.Thread | None = None


def _stamp() -> str:
    source = os.stat(__file__)
    return f"{numba.__version__}|{binding.get_host_cpu_name()}|{source.st_mtime_ns}|{source.st_size}"


def ready() -> bool:
    """Can the kernels run now without compiling first?

    When the warm-up's marker matches, they are loaded from Numba's cache
    (about 0.3 s, once per process). When it does not, a compile starts in
    the background (once per process) and the caller searches another way
    meanwhile."""
    if _loaded.is_set():
        return True
    try:
        cached = _MARKER.read_text() == _stamp()
    except OSError:
        cached = False
    if cached and _compiling.acquire(timeout=120):
        try:
            if not _loaded.is_set():
                compile_kernels()
        finally:
            _compiling.release()
        return True
    if _compiling.acquire(blocking=False):
        log.warning("dispatch: compiling the SISR kernels in the background (make install does this ahead)")
        threading.Thread(target=_compile_then_release, name="sisr-compile", daemon=True).start()
    return False


def load_in_background() -> None:
    """Start loading (or compiling) the kernels in a thread, once per process."""
    global _loading
    with _starting:
        if _loading is None:
            _loading = threading.Thread(target=ready, name="sisr-load", daemon=True)
            _loading.start()


def _compile_then_release() -> None:
    try:
        compile_kernels()
    except Exception:  # a failed compile leaves OR-Tools searching alone
        log.exception("dispatch: the SISR kernels did not compile")
        return  # the lock stays held: no second attempt in this process
    _compiling.release()


def compile_kernels() -> None:
    """Compile (or load from the cache) every kernel by running them on a
    two-visit day, then write the marker :func:`ready` reads."""
    window = TimeWindow(0, 1000)
    problem = DispatchProblem(
        visits=(Visit("a", 1, (window,), 5), Visit("b", 2, (window, TimeWindow(2000, 3000)), 5)),
        technicians=(Technician("t", 0, TimeWindow(0, 5000), end_location=0, max_visits=5, capacity=9),),
        matrix=TravelMatrix(((0, 10, 20, 5), (10, 0, 15, 5), (20, 15, 0, 5), (5, 5, 5, 0))),
        labs=(Lab("lab", 3, 4000),),
    )
    allowed = {"a": ["t"], "b": ["t"]}
    improve(problem, allowed, {"t": ["a", "b"]}, time.monotonic() + 0.05, warming=True)
    _loaded.set()
    try:
        _MARKER.parent.mkdir(exist_ok=True)
        _MARKER.write_text(_stamp())
    except OSError:
        log.warning("dispatch: cannot write %s; the SISR kernels will compile in each process", _MARKER)


def main() -> None:
    """``make install``'s warm-up."""
    started = time.monotonic()
    compile_kernels()
    print(f"dispatch search kernels ready ({time.monotonic() - started:.1f} s)")
