"""dronesim.benchmarks: measurements of dronesim beside its peers."""
