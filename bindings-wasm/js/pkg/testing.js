"use strict";
// blindmatch/testing for require() by path (INSECURE: tests only).
module.exports = require("./node/testing.cjs");
