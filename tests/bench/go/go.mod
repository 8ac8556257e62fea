module bucketscope/bench

go 1.19
