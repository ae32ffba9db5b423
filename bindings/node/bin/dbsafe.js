#!/usr/bin/env node
// The `dbsafe` command from npm: the same program as the native binary, since
// both call dbsafe_cli_main through the C ABI.
'use strict';

const { cliMain } = require('../index.js');

process.exitCode = cliMain(['dbsafe', ...process.argv.slice(2)]);
