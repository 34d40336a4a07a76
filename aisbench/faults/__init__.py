"""Fault injection for tests and the faults report: node signals, a faulty TCP proxy, netem
probing, epoch tallies and their verdicts."""
