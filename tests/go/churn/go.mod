// SPDX-License-Identifier: MIT
module churn

go 1.19
