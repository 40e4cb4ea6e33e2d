"""One command for the whole benchmark of issue 7.

    .local/venv/bin/python -m bench.run [--mode quick|full] [--duration SECONDS]
        [--concurrency 1,8,32] [--systems raw,neo4j-graphql,contactgraph]
        [--workloads profile,search,mix] [--py-spy SECONDS] [--smoke]

What it does, in order:
1. builds the Go load generator (.local/bench/loadgen) and installs the npm peer
   (`npm ci` into bench/neo4j-graphql/ when node_modules is missing);
2. migrates and, unless already loaded, seeds the `bench` Neo4j instance (port 7707)
   with 100,000 (quick) or 1,000,000 (full) synthetic children (bench/dataset.py);
3. samples children and a GP practitioner, issues a real development token for them,
   and reads every sampled child's neighbourhood once (a warm page cache for everyone);
4. starts ContactGraph (`contactgraph serve`, port 8100), the raw-Cypher peer (8101) and
   the @neo4j/graphql peer (8102), all on 127.0.0.1, and checks that each answers the
   same child correctly (and that ContactGraph and the peer withhold the same
   sensitive involvements) before measuring anything;
5. for each workload and concurrency, measures the three systems one after the other
   (so the ratios compare figures taken minutes apart, not an hour), each with a
   warm-up and a fixed duration;
6. writes bench/results/latest.md and latest.json, prints the table, and stops every
   server it started, whatever happened (and the Neo4j instance too if it started it).

By concept, in the order a run uses them: options (modes, ports, paths, the command
line), prepare, servers, verify, measure, pyspy (profiling), main.
"""
