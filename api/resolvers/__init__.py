"""Thin resolvers: fetch facts from `graph`, ask `policies`, shape the output."""
