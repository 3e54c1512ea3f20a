"""The ``.ta`` expression namespace: ``pl.col("close").ta.rsi(14)``.

It carries the indicators of one price series; those that need high, low or volume too are functions
(``ta.atr("high", "low", "close")``).
"""

from __future__ import annotations

import polars as pl

from indicators_rs import _momentum, _overlap, _stochastic

__all__ = ["IndicatorNamespace"]


@pl.api.register_expr_namespace("ta")
class IndicatorNamespace:
    """Single-series indicators of this expression; each method is the function of the same name."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def sma(self, timeperiod: int = 30) -> pl.Expr:
        """Simple moving average; see :func:`indicators_rs.sma`."""
        return _overlap.sma(self._expr, timeperiod)

    def ema(self, timeperiod: int = 30) -> pl.Expr:
        """Exponential moving average; see :func:`indicators_rs.ema`."""
        return _overlap.ema(self._expr, timeperiod)

    def wma(self, timeperiod: int = 30) -> pl.Expr:
        """Weighted moving average; see :func:`indicators_rs.wma`."""
        return _overlap.wma(self._expr, timeperiod)

    def dema(self, timeperiod: int = 30) -> pl.Expr:
        """Double exponential moving average; see :func:`indicators_rs.dema`."""
        return _overlap.dema(self._expr, timeperiod)

    def tema(self, timeperiod: int = 30) -> pl.Expr:
        """Triple exponential moving average; see :func:`indicators_rs.tema`."""
        return _overlap.tema(self._expr, timeperiod)

    def trima(self, timeperiod: int = 30) -> pl.Expr:
        """Triangular moving average; see :func:`indicators_rs.trima`."""
        return _overlap.trima(self._expr, timeperiod)

    def kama(self, timeperiod: int = 30) -> pl.Expr:
        """Kaufman adaptive moving average; see :func:`indicators_rs.kama`."""
        return _overlap.kama(self._expr, timeperiod)

    def bbands(
        self, timeperiod: int = 20, nbdevup: float = 2.0, nbdevdn: float = 2.0, matype: int = 0
    ) -> pl.Expr:
        """Bollinger bands (Struct upperband/middleband/lowerband); see :func:`indicators_rs.bbands`."""
        return _overlap.bbands(self._expr, timeperiod, nbdevup, nbdevdn, matype)

    def rsi(self, timeperiod: int = 14) -> pl.Expr:
        """Relative strength index; see :func:`indicators_rs.rsi`."""
        return _momentum.rsi(self._expr, timeperiod)

    def macd(self, fastperiod: int = 12, slowperiod: int = 26, signalperiod: int = 9) -> pl.Expr:
        """MACD (Struct macd/macdsignal/macdhist); see :func:`indicators_rs.macd`."""
        return _momentum.macd(self._expr, fastperiod, slowperiod, signalperiod)

    def macdfix(self, signalperiod: int = 9) -> pl.Expr:
        """MACD 12/26 with fixed factors (Struct); see :func:`indicators_rs.macdfix`."""
        return _momentum.macdfix(self._expr, signalperiod)

    def mom(self, timeperiod: int = 10) -> pl.Expr:
        """Momentum; see :func:`indicators_rs.mom`."""
        return _momentum.mom(self._expr, timeperiod)

    def roc(self, timeperiod: int = 10) -> pl.Expr:
        """Rate of change; see :func:`indicators_rs.roc`."""
        return _momentum.roc(self._expr, timeperiod)

    def apo(self, fastperiod: int = 12, slowperiod: int = 26, matype: int = 1) -> pl.Expr:
        """Absolute price oscillator; see :func:`indicators_rs.apo`."""
        return _momentum.apo(self._expr, fastperiod, slowperiod, matype)

    def ppo(self, fastperiod: int = 12, slowperiod: int = 26, matype: int = 1) -> pl.Expr:
        """Percentage price oscillator; see :func:`indicators_rs.ppo`."""
        return _momentum.ppo(self._expr, fastperiod, slowperiod, matype)

    def stochrsi(
        self, timeperiod: int = 14, fastk_period: int = 5, fastd_period: int = 3, fastd_matype: int = 0
    ) -> pl.Expr:
        """Stochastic RSI (Struct fastk/fastd); see :func:`indicators_rs.stochrsi`."""
        return _stochastic.stochrsi(self._expr, timeperiod, fastk_period, fastd_period, fastd_matype)
