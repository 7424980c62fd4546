"""The right test for a table, computed by scipy, and said in plain words that do not
overclaim: counts are small, self-selected and self-reported, and an association is not
a cause."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import chi2_contingency, fisher_exact
from scipy.stats.contingency import association, odds_ratio

SMALL_EXPECTED = 5  # the usual rule of thumb for the chi-squared approximation


@dataclass(frozen=True, slots=True)
class TwoByTwo:
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float  # Fisher's exact, two-sided


@dataclass(frozen=True, slots=True)
class Independence:
    chi2: float
    p_value: float
    dof: int
    cramers_v: float
    small_expected: bool  # some expected counts below 5: the p-value is approximate


Test = TwoByTwo | Independence


def analyse(table: list[list[int]]) -> Test:
    """Fisher's exact test and the sample odds ratio for 2×2, χ² with Cramér's V otherwise."""
    if len(table) == 2 and len(table[0]) == 2:
        result = odds_ratio(table, kind="sample")
        interval = result.confidence_interval(confidence_level=0.95)
        _, p_value = fisher_exact(table)
        return TwoByTwo(
            float(result.statistic), float(interval.low), float(interval.high), float(p_value)
        )
    chi2, p_value, dof, expected = chi2_contingency(table, correction=False)
    cramers_v = association(table, method="cramer", correction=False)
    return Independence(
        float(chi2),
        float(p_value),
        int(dof),
        float(cramers_v),
        bool((expected < SMALL_EXPECTED).any()),
    )


def number(value: float, digits: int = 2) -> str:
    if math.isinf(value):
        return "∞"
    if math.isnan(value):
        return "not estimable"
    return f"{value:.{digits}f}"


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def strength(cramers_v: float) -> str:
    if cramers_v < 0.1:
        return "negligible"
    if cramers_v < 0.3:
        return "weak"
    if cramers_v < 0.5:
        return "moderate"
    return "strong"


def describe(test: Test, total: int) -> str:
    """The statistic in words, with the caveats every reader needs."""
    caveat = (
        f" Based on {total} members who chose to answer, describing themselves: an "
        "association, not proof that one causes the other."
    )
    if isinstance(test, TwoByTwo):
        if math.isnan(test.odds_ratio) or math.isinf(test.odds_ratio) or test.odds_ratio == 0:
            estimate = "The odds ratio cannot be estimated because one cell is empty"
        else:
            estimate = (
                f"Odds ratio {number(test.odds_ratio)} (95% CI {number(test.ci_low)}–"
                f"{number(test.ci_high)})"
            )
        significant = test.p_value < 0.05
        verdict = (
            "a difference this large would be unusual by chance alone"
            if significant
            else "the difference could well be chance"
        )
        return f"{estimate}; Fisher's exact test {p_text(test.p_value)}: {verdict}.{caveat}"
    warning = (
        " Some expected counts are below 5, so the χ² p-value is only approximate."
        if test.small_expected
        else ""
    )
    verdict = (
        "the groups differ more than chance alone would usually produce"
        if test.p_value < 0.05
        else "the groups do not clearly differ"
    )
    return (
        f"χ² = {number(test.chi2)} (df {test.dof}), {p_text(test.p_value)}; Cramér's V = "
        f"{number(test.cramers_v)} ({strength(test.cramers_v)}): {verdict}.{warning}{caveat}"
    )
