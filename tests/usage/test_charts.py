"""Server-rendered SVG charts: accessible, escaped, one point per day."""

from datetime import date, timedelta

from governance.usage.charts import bar_chart, line_chart


def test_a_line_chart_is_an_accessible_svg_with_its_numbers():
    points = [
        {"day": date(2026, 11, 1) + timedelta(days=i), "download": i, "deployment": 1}
        for i in range(10)
    ]
    chart = line_chart(
        points, series=[("download", "Downloads"), ("deployment", "CI")], title="Use <of> team & co"
    )
    svg = str(chart.svg)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "Use &lt;of&gt; team &amp; co" in svg and "<of>" not in svg
    assert "totals: Downloads: 45, CI: 10" in svg
    assert svg.count("<polyline") == 2
    assert chart.rows[0] == ("2026-11-01", "0", "1") and len(chart.rows) == 10


def test_a_bar_chart_lists_the_largest_ten_and_says_when_empty():
    chart = bar_chart([(f"base {i}", 100 - i) for i in range(12)], title="By base model")
    assert str(chart.svg).count("<rect") == 10
    empty = bar_chart([], title="Nothing")
    assert "No use recorded in this period." in str(empty.svg)
