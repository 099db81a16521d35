"""The policy runtime: what a policy means for a dispute, worked out from plain data."""
