module contactgraph/bench/loadgen

go 1.22
