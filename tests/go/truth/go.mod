module bucketscope.test/truth

go 1.19
