"""The engine fuzzer shared by tests/fuzz/test_engine_fuzz.py and bench/fuzz.py.

- world.py: the seeded world (the demo compound, a second compound, cases in every state);
- draw.py: where random choices come from (random.Random or hypothesis);
- generate.py: random events and button data for that world;
- ownership.py: whose data each row is and which changes the acting user may make;
- play.py: plays events through the engine and counts unhandled errors and foreign changes.
"""
