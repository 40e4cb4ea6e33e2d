"""Feeds (feeds.md, R15): how source systems' records become the index.

One code path for `Mutation.ingest`, `contactgraph ingest FILE` and, through the same
op registry with another sink, `contactgraph load --initial`:

- `feeds.records`, `feeds.fields`, `feeds.validation`, `feeds.ndjson`: a record read
  and checked on its own, with nothing from the graph;
- `feeds.ops`: the ordered registry, one module per op (its payload, reader, the keys
  it looks up, its plan), whose rows and statements are in `graph/feed_writes/`;
- `feeds.plan`: a chunk's records decided, in order, against the facts looked up;
- `feeds.pipeline`: chunks written one transaction each, pipelined;
- `feeds.report`: what each chunk and the whole feed did.

Importing this package imports none of them: the CLI starts fast.
"""
