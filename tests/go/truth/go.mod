// SPDX-License-Identifier: MIT
module bucketscope.test/truth

go 1.19
