"""Followthrough's pipeline: parse postmortems, plan and sync tickets, follow them up."""
