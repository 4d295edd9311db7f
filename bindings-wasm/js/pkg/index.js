"use strict";
// The package folder's CommonJS entry (require("blindmatch") in Node.js).
module.exports = require("./node/index.cjs");
