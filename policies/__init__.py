"""Pure decision functions: viewer + facts -> decision + reason. No I/O, no frameworks.

Each module holds one family of rules from design/policy.md, named by number
(R1..R16), so a reader can find any rule. Resolvers ask; only this package decides.
"""
