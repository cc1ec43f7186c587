#!/usr/bin/env node
// The installed command. It exists before the build, so npm can link it at install time;
// the program itself is the compiled dist/main.js.
import "../dist/main.js";
