"""The right test for a table, computed by scipy, and said in plain words that do not
overclaim: counts are small, self-selected and self-reported, and an association is not
a cause."""

from __future__ import annotations

import math
from dataclasses import dataclass

from babel.numbers import get_decimal_symbol
from scipy.stats import chi2_contingency, fisher_exact
from scipy.stats.contingency import association, odds_ratio

from bot.i18n import _, current_language

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
        _statistic, p_value = fisher_exact(table)
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


def decimal(value: float, digits: int) -> str:
    """`value` rounded to `digits` decimals, with the current language's decimal sign
    ("0.25", "0,25"); no thousands separator, as Anagen has always written statistics."""
    return f"{value:.{digits}f}".replace(".", get_decimal_symbol(current_language()))


def number(value: float, digits: int = 2) -> str:
    if math.isinf(value):
        return "∞"
    if math.isnan(value):
        # Translators: in place of a statistic that cannot be computed from the table.
        return _("not estimable")
    return decimal(value, digits)


def p_text(p: float) -> str:
    if p < 0.001:
        return "p < " + decimal(0.001, 3)
    return "p = " + decimal(p, 3)


def strength(cramers_v: float) -> str:
    """How strong an association Cramér's V says it is, in a word."""
    if cramers_v < 0.1:
        # Translators: the strength of an association between two questions' answers.
        return _("negligible")
    if cramers_v < 0.3:
        # Translators: the strength of an association between two questions' answers.
        return _("weak")
    if cramers_v < 0.5:
        # Translators: the strength of an association between two questions' answers.
        return _("moderate")
    # Translators: the strength of an association between two questions' answers.
    return _("strong")


def describe(test: Test, total: int) -> str:
    """The statistic in words, with the caveats every reader needs."""
    caveat = _(
        "Based on {total} members who chose to answer, describing themselves: an "
        "association, not proof that one causes the other."
    ).format(total=total)
    if isinstance(test, TwoByTwo):
        p_value = p_text(test.p_value)
        if math.isnan(test.odds_ratio) or math.isinf(test.odds_ratio) or test.odds_ratio == 0:
            # Translators: {p} is the test's p-value, e.g. "p = 0.031".
            found = _(
                "The odds ratio cannot be estimated because one cell is empty; Fisher's exact "
                "test {p}"
            ).format(p=p_value)
        else:
            # Translators: {p} is the test's p-value, e.g. "p = 0.031"; CI is the
            # confidence interval, from {low} to {high}.
            found = _("Odds ratio {ratio} (95% CI {low}–{high}); Fisher's exact test {p}").format(
                ratio=number(test.odds_ratio),
                low=number(test.ci_low),
                high=number(test.ci_high),
                p=p_value,
            )
        if test.p_value < 0.05:
            # Translators: {found} is the statistic, e.g. "Odds ratio 2.50 (…); Fisher's
            # exact test p = 0.031".
            verdict = _("{found}: a difference this large would be unusual by chance alone.")
        else:
            # Translators: {found} is the statistic, e.g. "Odds ratio 1.20 (…); Fisher's
            # exact test p = 0.412".
            verdict = _("{found}: the difference could well be chance.")
        return verdict.format(found=found) + " " + caveat
    # Translators: χ² is chi-squared, df its degrees of freedom, {p} the p-value ("p = 0.031"),
    # and {strength} a word for Cramér's V: negligible, weak, moderate or strong.
    found = _("χ² = {chi2} (df {df}), {p}; Cramér's V = {v} ({strength})").format(
        chi2=number(test.chi2),
        df=test.dof,
        p=p_text(test.p_value),
        v=number(test.cramers_v),
        strength=strength(test.cramers_v),
    )
    if test.p_value < 0.05:
        # Translators: {found} is the statistic, e.g. "χ² = 9.10 (df 2), p = 0.011; …".
        verdict = _("{found}: the groups differ more than chance alone would usually produce.")
    else:
        # Translators: {found} is the statistic, e.g. "χ² = 1.20 (df 2), p = 0.549; …".
        verdict = _("{found}: the groups do not clearly differ.")
    text = verdict.format(found=found)
    if test.small_expected:
        text += " " + _("Some expected counts are below 5, so the χ² p-value is only approximate.")
    return text + " " + caveat
