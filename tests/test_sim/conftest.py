import pytest
from dronesim.sim.scenario import from_toml_text
from tiny import TINY  # noqa: F401  (tests import it from here too)


@pytest.fixture(scope="session")
def tiny_scenario():
    return from_toml_text(TINY, "tiny.toml")


@pytest.fixture(scope="session")
def tiny_run(tiny_scenario):
    from dronesim.sim.engine import Simulation

    simulation = Simulation(tiny_scenario)
    report = simulation.run()
    return simulation, report
