"""Indicator speed: indicators_rs through Polars vs TA-Lib on numpy vs polars-talib, in one run.

(a) One series of 1,000,000 bars, one indicator per call: ns per bar and minor page faults per call.
(b) 2,000 symbols x 2,500 bars sorted by symbol: ``.over("symbol")`` and the grouped ``by="symbol"`` path
    vs a Python loop of TA-Lib calls over per-symbol numpy slices (and polars-talib with ``.over``).
(c) The most memory the plugin holds during one call (output included, counted by the plugin's allocator)
    against the size of the output.

Each timing is the best of a few repeats. Prints a table, then the ratios as the last line (TA-Lib time /
our time: above 1 means we are faster).

    .venv/bin/python benchmarks/indicators.py [--rows 1000000] [--symbols 2000] [--bars 2500] [--no-memory]
    .venv/bin/python benchmarks/indicators.py --smoke      # small series, 2 repeats: seconds; CI runs this
"""

from __future__ import annotations

import argparse
import gc
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import talib

import indicators_rs as ta
from indicators_rs._internal import allocated_bytes

try:  # optional anchor; it registers its own ``.ta`` namespace, so only its functions are used here
    import polars_talib as plta
except ImportError:  # pragma: no cover - depends on the machine
    plta = None  # type: ignore[assignment]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.summary import Metrics, add_json_argument, metric_name, write

#: Repeats per timing; the best one counts (the smoke run makes it 2).
REPEATS = 5


@dataclass
class Spec:
    """One indicator in the three implementations."""

    name: str
    ours: Callable[..., pl.Expr]
    talib: Callable[[dict[str, np.ndarray]], Any]
    plta: Callable[[], pl.Expr] | None


def specs() -> list[Spec]:
    hi, lo, c, o = pl.col("high"), pl.col("low"), pl.col("close"), pl.col("open")
    out = [
        Spec("RSI", lambda by=None: ta.rsi("close", 14, by=by), lambda a: talib.RSI(a["close"], 14),
             (lambda: plta.rsi(c, 14)) if plta else None),
        Spec("EMA", lambda by=None: ta.ema("close", 30, by=by), lambda a: talib.EMA(a["close"], 30),
             (lambda: plta.ema(c, 30)) if plta else None),
        Spec("SMA", lambda by=None: ta.sma("close", 30, by=by), lambda a: talib.SMA(a["close"], 30),
             (lambda: plta.sma(c, 30)) if plta else None),
        Spec("MACD", lambda by=None: ta.macd("close", by=by), lambda a: talib.MACD(a["close"]),
             (lambda: plta.macd(c)) if plta else None),
        Spec("BBANDS", lambda by=None: ta.bbands("close", by=by), lambda a: talib.BBANDS(a["close"]),
             (lambda: plta.bbands(c)) if plta else None),
        Spec("ATR", lambda by=None: ta.atr("high", "low", "close", by=by),
             lambda a: talib.ATR(a["high"], a["low"], a["close"]),
             (lambda: plta.atr(hi, lo, c)) if plta else None),
        Spec("ADX", lambda by=None: ta.adx("high", "low", "close", by=by),
             lambda a: talib.ADX(a["high"], a["low"], a["close"]),
             (lambda: plta.adx(hi, lo, c)) if plta else None),
    ]  # fmt: skip
    # The candlestick patterns come from the candle module; benchmarked only when it is there.
    engulfing = getattr(ta, "cdlengulfing", None)
    hammer = getattr(ta, "cdlhammer", None)
    ohlc = ("open", "high", "low", "close")
    if engulfing is not None:
        out.append(Spec("ENGULFING", lambda by=None: engulfing(*ohlc),
                        lambda a: talib.CDLENGULFING(*(a[k] for k in ohlc)),
                        (lambda: plta.cdlengulfing(o, hi, lo, c)) if plta else None))  # fmt: skip
    if hammer is not None:
        out.append(Spec("HAMMER", lambda by=None: hammer(*ohlc),
                        lambda a: talib.CDLHAMMER(*(a[k] for k in ohlc)),
                        (lambda: plta.cdlhammer(o, hi, lo, c)) if plta else None))  # fmt: skip
    return out


def bars(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    spread = rng.random(n)
    return {
        "open": close + rng.normal(0, 0.3, n),
        "high": close + spread,
        "low": close - spread,
        "close": close,
        "volume": rng.integers(100, 10_000, n).astype(np.float64),
    }


def best(run: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    """Best wall time in seconds over ``repeats`` runs, and the minor page faults of that run."""
    run()
    times, faults = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    i = int(np.argmin(times))
    return times[i], faults[i]


def single_series(
    rows: int, repeats: int = REPEATS
) -> list[tuple[str, float, float, float | None, float, float]]:
    arrays = bars(rows)
    frame = pl.DataFrame(arrays)
    results = []
    for spec in specs():
        ours, ours_faults = best(partial(frame.select, spec.ours()), repeats)
        ref, ref_faults = best(partial(spec.talib, arrays), repeats)
        other = best(partial(frame.select, spec.plta()), repeats)[0] if spec.plta else None
        results.append((spec.name, ours / rows * 1e9, ref / rows * 1e9, other and other / rows * 1e9,
                        ours_faults, ref_faults))  # fmt: skip
    return results


def grouped(
    symbols: int, per_symbol: int, repeats: int = REPEATS
) -> list[tuple[str, float, float, float, float | None]]:
    n = symbols * per_symbol
    arrays = bars(n, seed=11)
    names = [f"S{i:04d}" for i in range(symbols)]
    # Sorted by symbol, as ``sort("symbol", "date")`` leaves bars: Polars then knows each symbol's rows are
    # contiguous (an unsorted key column costs one more read of it, about 1 ns per bar here).
    frame = pl.DataFrame(arrays).with_columns(symbol=pl.Series(np.repeat(names, per_symbol))).sort("symbol")
    bounds = [(i * per_symbol, (i + 1) * per_symbol) for i in range(symbols)]
    results = []
    for spec in specs()[:7]:

        def loop(spec: Spec = spec) -> list[Any]:
            return [spec.talib({k: v[s:e] for k, v in arrays.items()}) for s, e in bounds]

        over = best(partial(frame.select, spec.ours().over("symbol")), repeats)[0]
        by = best(partial(frame.select, spec.ours(by="symbol")), repeats)[0]
        ref = best(loop, repeats)[0]
        other = best(partial(frame.select, spec.plta().over("symbol")), repeats)[0] if spec.plta else None
        results.append((spec.name, over / n * 1e9, by / n * 1e9, ref / n * 1e9, other and other / n * 1e9))
    return results


def peak_above(run: Callable[[], pl.DataFrame]) -> tuple[float, float]:
    """The most memory the plugin held during ``run()`` (its output included) above what it held before,
    and the output's size. The plugin counts its allocations itself: the process's resident set would
    also show pages the allocator kept from earlier work."""
    gc.collect()
    before, _ = allocated_bytes(reset=True)
    result = run()
    _, peak = allocated_bytes()
    return peak - before, result.estimated_size()


def memory_cases(symbols: int, per_symbol: int) -> dict[str, Callable[[], pl.DataFrame]]:
    """The calls whose peak memory (c) measures, on 2,000 x 2,500 bars; the last on shuffled rows."""
    n = symbols * per_symbol
    frame = pl.DataFrame(bars(n, seed=13)).with_columns(
        symbol=pl.Series(np.repeat([f"S{i:04d}" for i in range(symbols)], per_symbol))
    )
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=1)
    return {
        "RSI": lambda: frame.select(ta.rsi("close")),
        "RSI .over": lambda: frame.select(ta.rsi("close").over("symbol")),
        "MACD .over": lambda: frame.select(ta.macd("close").over("symbol")),
        "BBANDS .over": lambda: frame.select(ta.bbands("close").over("symbol")),
        "ATR .over": lambda: frame.select(ta.atr("high", "low", "close").over("symbol")),
        "HAMMER": lambda: frame.select(ta.cdlhammer()),
        "RSI .over, shuffled": lambda: shuffled.select(ta.rsi("close").over("symbol")),
    }


def measure_memory_case(name: str, symbols: int, per_symbol: int) -> None:
    """Child process: one call of case ``name``."""
    run = memory_cases(symbols, per_symbol)[name]
    pl.DataFrame({"close": [1.0, 2.0]}).select(
        ta.rsi("close", 2), ta.cdlhammer("close", "close", "close", "close")
    )
    extra, size = peak_above(run)
    print(f"{extra} {size}")


def memory(symbols: int, per_symbol: int) -> list[tuple[str, float, float]]:
    """Peak memory of one call of each case, each in a fresh process."""
    results = []
    for name in memory_cases(1, 1):
        command = [sys.executable, __file__, "--memory-case", name, "--symbols", str(symbols),
                   "--bars", str(per_symbol)]  # fmt: skip
        extra, size = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
        results.append((name, float(extra), float(size)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--symbols", type=int, default=2_000)
    parser.add_argument("--bars", type=int, default=2_500)
    parser.add_argument("--no-memory", action="store_true", help="skip (c), the peak-memory table")
    parser.add_argument("--memory-case", help=argparse.SUPPRESS)
    parser.add_argument("--smoke", action="store_true", help="20,000 bars, 20 x 500 grouped, 2 repeats")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.memory_case:
        measure_memory_case(args.memory_case, args.symbols, args.bars)
        return
    repeats = REPEATS
    if args.smoke:
        args.rows, args.symbols, args.bars, repeats = 20_000, 20, 500, 2
    metrics = Metrics()
    anchor = "polars-talib" if plta else "polars-talib (not installed)"
    print(f"(a) one series of {args.rows:,} bars, ns/bar (minor page faults per call)")
    print(f"{'indicator':<10} {'ours':>14} {'TA-Lib':>14} {anchor:>14}  TA-Lib/ours  plta/ours")
    single = single_series(args.rows, repeats)
    for name, ours, ref, other, of, rf in single:
        other_text = f"{other:14.2f}" if other else f"{'-':>14}"
        ratio = f"{other / ours:9.2f}" if other else f"{'-':>9}"
        cells = f"{name:<10} {ours:8.2f} ({of:4.0f}) {ref:7.2f} ({rf:4.0f}) {other_text}"
        print(f"{cells}  {ref / ours:11.2f}  {ratio}")
        metrics.lower(metric_name("series", name, "ns_per_bar"), ours)
        metrics.higher(metric_name("series", name, "talib_vs_ours_x"), ref / ours)
    print(f"\n(b) {args.symbols:,} symbols x {args.bars:,} bars, ns/bar")
    header = f"{'indicator':<10} {'.over':>8} {'by=':>8} {'TA-Lib loop':>12} {'plta .over':>11}"
    print(f"{header}  loop/by  loop/over")
    group = grouped(args.symbols, args.bars, repeats)
    for name, over, by, ref, other in group:
        other_text = f"{other:11.2f}" if other else f"{'-':>11}"
        print(
            f"{name:<10} {over:8.2f} {by:8.2f} {ref:12.2f} {other_text}  {ref / by:7.2f}  {ref / over:9.2f}"
        )
        metrics.lower(metric_name("grouped", name, "over_ns_per_bar"), over)
        metrics.lower(metric_name("grouped", name, "by_ns_per_bar"), by)
        metrics.higher(metric_name("grouped", name, "talib_loop_vs_by_x"), ref / by)
    if not args.no_memory:
        print(f"\n(c) peak memory the plugin holds during one call, {args.symbols * args.bars:,} bars")
        print(f"{'call':<20} {'output MB':>10} {'peak MB':>9} {'peak/output':>12}")
        for name, extra, size in memory(args.symbols, args.bars):
            print(
                f"{name:<20} {size / 2**20:10.1f} {max(extra, 0) / 2**20:9.1f} {max(extra, 0) / size:12.2f}"
            )
            metrics.lower(metric_name("memory", name, "peak_vs_output_x"), max(extra, 0) / size)
    single_ratios = " ".join(f"{name}={ref / ours:.2f}" for name, ours, ref, *_ in single)
    group_ratios = " ".join(f"{name}={ref / by:.2f}" for name, _over, by, ref, _ in group)
    print(f"ratios: TA-Lib/ours (a) {single_ratios} | (b) TA-Lib loop/by= {group_ratios}")
    write(args.json, __file__, args, metrics)


if __name__ == "__main__":
    main()
