"""The HTTP and GraphQL edge of ContactGraph: auth, limits, schema, resolvers, CLI."""
