"""Strawberry types that read like the public contract (design/contract.graphql)."""
