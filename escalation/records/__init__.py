"""Written records of disputes (Appendix 2, Record of Escalation, the general record)."""
