// SPDX-License-Identifier: MIT
module bucketscope/bench

go 1.19
