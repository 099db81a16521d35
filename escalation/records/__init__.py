"""Written records of disputes, on the record form each policy names (templates/records/)."""
