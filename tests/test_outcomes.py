"""Outcomes that read right: a change in a percentage told in points, a before-and-after
chart on each row (inline SVG with a text alternative), and the points in the API."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from knowledgebase.charts import change_chart
from knowledgebase.models import AdoptionMetric, OutcomeMetric
from tests.conftest import make_entry


def measured(baseline, result, unit="", measure="Share of forms filed online") -> OutcomeMetric:
    """An unsaved outcome: the wording and the chart need no database."""
    return OutcomeMetric(
        measure=measure,
        baseline=None if baseline is None else Decimal(str(baseline)),
        result=None if result is None else Decimal(str(result)),
        unit=unit,
    )


# --- points for percentages, relative change for everything else ---------------------------


@pytest.mark.parametrize("unit", ["%", "percent", "Per Cent", " percentage points ", "PERCENT"])
def test_a_change_in_a_percentage_is_shown_in_points(unit):
    assert measured(31, 58, unit).change_text == "+27 pts"


def test_a_fall_in_a_percentage_is_shown_in_negative_points():
    assert measured(45, 32, "%").change_text == "-13 pts"


def test_an_unchanged_percentage_is_zero_points():
    assert measured(40, 40, "%").change_text == "0 pts"


def test_points_show_one_decimal_only_when_needed():
    assert measured(10, 12.5, "%").change_text == "+2.5 pts"


def test_points_round_half_up_to_one_decimal():
    assert measured(10.25, 12.5, "%").change_text == "+2.3 pts"


@pytest.mark.parametrize(
    ("unit", "text"), [("minutes", "-57%"), ("", "-57%"), ("per day", "-57%"), ("pct", "-57%")]
)
def test_other_units_keep_the_relative_change(unit, text):
    assert measured(14, 6, unit).change_text == text


def test_change_points_is_the_difference_for_a_percentage():
    outcome = measured(31, 58, "%")

    assert outcome.change_points == 27.0
    assert outcome.change_percent == pytest.approx(87.1, abs=0.05)


def test_change_points_is_none_for_other_units():
    assert measured(14, 6, "minutes").change_points is None


def test_change_points_is_none_without_both_numbers():
    assert measured(None, 58, "%").change_points is None


def test_as_text_uses_points_for_a_percentage():
    outcome = measured(31, 58, "%", measure="Forms filed online")

    assert outcome.as_text() == "Forms filed online 31 → 58 % (+27 pts)"


def test_adoption_metrics_use_points_too():
    metric = AdoptionMetric(measure="Online", baseline=Decimal(20), result=Decimal(35), unit="%")

    assert metric.change_text == "+15 pts"


# --- the chart's geometry ----------------------------------------------------------------


def test_bars_are_scaled_to_the_larger_value():
    chart = change_chart(measured(14, 6, "minutes"))

    assert (chart.before.width, chart.after.width) == (100.0, 42.9)


def test_bars_have_the_numbers_with_their_units_as_labels():
    chart = change_chart(measured(14, 6, "minutes"))

    assert [(bar.key, bar.value) for bar in chart.bars] == [
        ("Before", "14 minutes"),
        ("After", "6 minutes"),
    ]


def test_a_long_unit_leaves_the_bar_labels_with_the_numbers_alone():
    chart = change_chart(measured(10.25, 12.5, "percentage points"))

    assert (chart.before.value, chart.after.value) == ("10.25", "12.5")
    assert chart.description == (
        "Before 10.25 percentage points, after 12.5 percentage points: 2.3 points higher"
    )


def test_the_text_alternative_says_both_numbers_and_the_relative_change():
    chart = change_chart(measured(14, 6, "minutes"))

    assert chart.description == "Before 14 minutes, after 6 minutes: 57% lower"


def test_the_text_alternative_of_a_percentage_says_points():
    chart = change_chart(measured(31, 58, "%"))

    assert chart.description == "Before 31%, after 58%: 27 points higher"


def test_the_text_alternative_says_when_nothing_changed():
    chart = change_chart(measured(8, 8, "staff"))

    assert chart.description == "Before 8 staff, after 8 staff: no change"


def test_the_text_alternative_leaves_out_a_change_from_zero():
    chart = change_chart(measured(0, 5, "calls"))

    assert chart.description == "Before 0 calls, after 5 calls"
    assert (chart.before.width, chart.after.width) == (0.0, 100.0)


def test_negative_values_are_drawn_from_zero_by_their_size_with_the_sign_in_the_label():
    chart = change_chart(measured(-4, 2, "°C"))

    assert (chart.before.width, chart.after.width) == (100.0, 50.0)
    assert (chart.before.value, chart.after.value) == ("-4 °C", "2 °C")


def test_a_tiny_value_next_to_a_large_one_still_shows():
    chart = change_chart(measured(1, 100_000, "visits"))

    assert chart.before.width == 1.0


def test_two_zeros_draw_no_bars():
    chart = change_chart(measured(0, 0, "complaints"))

    assert (chart.before.width, chart.after.width) == (0.0, 0.0)


@pytest.mark.parametrize(("baseline", "result"), [(None, 6), (14, None), (None, None)])
def test_no_chart_without_both_numbers(baseline, result):
    assert change_chart(measured(baseline, result, "minutes")) is None


def test_the_bars_sit_one_under_the_other_inside_the_chart():
    chart = change_chart(measured(14, 6, "minutes"))

    before, after = chart.bars
    assert before.label_y < before.bar_y < after.label_y < after.bar_y
    assert after.bar_y + chart.bar_height == chart.height


# --- the entry page ------------------------------------------------------------------------


@pytest.fixture
def entry_with_outcomes(db):
    entry = make_entry(slug="forms-online")
    OutcomeMetric.objects.create(
        entry=entry, measure="Forms filed online", baseline=31, result=58, unit="%", order=0
    )
    OutcomeMetric.objects.create(
        entry=entry, measure="Average wait", baseline=14, result=6, unit="minutes", order=1
    )
    OutcomeMetric.objects.create(entry=entry, measure="Complaints", result=3, order=2)
    return entry


def test_entry_page_shows_a_percentage_change_in_points(client, entry_with_outcomes):
    response = client.get(entry_with_outcomes.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert '<td data-label="Change">+27 pts</td>' in content
    assert "+87%" not in content


def test_entry_page_draws_a_chart_with_a_text_alternative(client, entry_with_outcomes):
    response = client.get(entry_with_outcomes.get_absolute_url())

    content = response.content.decode()
    assert (
        '<svg class="change-chart" role="img" '
        'aria-label="Before 14 minutes, after 6 minutes: 57% lower"'
    ) in content
    assert "<title>Before 14 minutes, after 6 minutes: 57% lower</title>" in content


def test_entry_page_draws_no_chart_for_a_row_without_both_numbers(client, entry_with_outcomes):
    response = client.get(entry_with_outcomes.get_absolute_url())

    content = response.content.decode()
    table = content[content.index('<table class="outcomes">') : content.index("</table>")]
    assert table.count('role="img"') == 2
    assert '<td data-label="Chart" class="outcome-chart"></td>' in table


def test_the_chart_escapes_what_people_typed(client, db):
    entry = make_entry()
    OutcomeMetric.objects.create(
        entry=entry, measure="Wait", baseline=2, result=1, unit='"><script>x</script>'
    )

    content = client.get(entry.get_absolute_url()).content.decode()

    assert "<script>x</script>" not in content
    assert 'aria-label="Before 2 &quot;&gt;&lt;script&gt;' in content


def test_the_chart_has_no_style_attributes(client, entry_with_outcomes):
    content = client.get(entry_with_outcomes.get_absolute_url()).content.decode()

    chart = content[content.index("<svg") : content.index("</svg>")]
    assert "style=" not in chart


# --- the API -------------------------------------------------------------------------------


def test_api_gives_the_change_in_points_for_a_percentage(entry_with_outcomes):
    response = APIClient().get("/api/entries/forms-online/")

    assert response.status_code == 200
    outcomes = response.json()["outcomes"]
    assert [(o["measure"], o["change_points"]) for o in outcomes] == [
        ("Forms filed online", 27.0),
        ("Average wait", None),
        ("Complaints", None),
    ]
    assert outcomes[0]["change_percent"] == pytest.approx(87.1, abs=0.05)
