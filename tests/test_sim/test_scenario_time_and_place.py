"""The scenario's date, geographic anchor and ground elevation: what dated schedules and
geographic exports are mapped onto."""

import datetime

import pytest
from dronesim.sim.engine import build_world
from dronesim.sim.scenario import DEFAULT_START_DATE, ScenarioError, from_toml_text
from tiny import TINY


def test_start_utc_is_start_date_at_start_hour():
    text = TINY.replace('name = "tiny"', 'name = "tiny"\nstart_date = 2026-07-04', 1)
    scenario = from_toml_text(text.replace("start_hour = 12", "start_hour = 9.5"), "t.toml")
    assert scenario.start_date == datetime.date(2026, 7, 4)
    assert scenario.start_utc == datetime.datetime(2026, 7, 4, 9, 30, tzinfo=datetime.UTC)


def test_start_utc_takes_the_local_offset():
    text = TINY.replace(
        'name = "tiny"', 'name = "tiny"\nstart_date = 2026-07-04\nutc_offset_h = -4', 1
    )
    scenario = from_toml_text(text.replace("start_hour = 12", "start_hour = 22.5"), "t.toml")
    # 22:30 in New York's summer (UTC-4) is 02:30 UTC the next day.
    assert scenario.start_utc == datetime.datetime(2026, 7, 5, 2, 30, tzinfo=datetime.UTC)
    with pytest.raises(ScenarioError, match="utc_offset_h"):
        from_toml_text(
            TINY.replace('name = "tiny"', 'name = "tiny"\nutc_offset_h = 15', 1), "t.toml"
        )


def test_start_date_as_string_and_default():
    text = TINY.replace('name = "tiny"', 'name = "tiny"\nstart_date = "2027-01-31"', 1)
    assert from_toml_text(text, "t.toml").start_date == datetime.date(2027, 1, 31)
    assert from_toml_text(TINY, "t.toml").start_date == DEFAULT_START_DATE


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ('start_date = "2026-02-30"', "start_date", "2026-02-30"),
        ("start_date = 2026-06-01T10:00:00Z", "start_date", "2026-06-01T10:00:00"),
        ("start_date = 5", "start_date", "5"),
    ],
)
def test_bad_start_date_names_field_and_value(line, field, value):
    text = TINY.replace('name = "tiny"', f'name = "tiny"\n{line}', 1)
    with pytest.raises(ScenarioError) as caught:
        from_toml_text(text, "t.toml")
    message = str(caught.value)
    assert "t.toml" in message and field in message and value in message


def test_generated_city_takes_the_origin_and_bad_origins_are_refused():
    text = TINY.replace("[map]", "[map]\norigin_lonlat = [13.4, 52.52]\nground_elevation_m = 34", 1)
    scenario = from_toml_text(text, "t.toml")
    assert scenario.map.ground_elevation_m == 34.0
    assert build_world(scenario)[0].origin_lonlat == (13.4, 52.52)
    for bad in ("[200, 10]", "[10]", '"x"'):
        with pytest.raises(ScenarioError, match=r"map\.origin_lonlat"):
            from_toml_text(TINY.replace("[map]", f"[map]\norigin_lonlat = {bad}", 1), "t.toml")
